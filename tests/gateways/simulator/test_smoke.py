from gateways.protocol import ReturnCode


async def test_the_liveness_endpoint_answers_without_a_token(http):
    async with http.get("/api/v2") as response:
        body = await response.json()
    assert response.status == 200
    assert body["returnCode"] == ReturnCode.OK
    assert body["apiVersion"] == "2"


async def test_a_token_opens_the_secured_endpoints(http, auth):
    async with http.get("/api/v2/activeorders", headers=auth) as response:
        body = await response.json()
    assert response.status == 200
    assert body == {"status": 200, "returnCode": 5, "count": 0, "items": []}
