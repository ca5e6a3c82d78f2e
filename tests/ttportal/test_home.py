def test_the_first_page_names_the_portal(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"TT Portal" in response.content
