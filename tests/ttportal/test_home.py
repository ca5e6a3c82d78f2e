def test_the_first_page_names_the_portal(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"TT Portal" in response.content


def test_the_health_endpoint_says_ok(client):
    assert client.get("/healthz").json() == {"status": "ok"}
