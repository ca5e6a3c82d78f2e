"""Answers copied verbatim from the vendor pages (shared/spec/vendor-docs), as JSON text.

Three pages lost their closing braces when they were saved (the activeorder model, statistics and
the token in the integration guide): for those the braces are restored and nothing else changed.
"""

from __future__ import annotations

# activeorders-create-modify.txt: POST /activeorders, 201 Created (a new order, no tracker bound).
CREATED_201 = """\
{
  "status": 201,
  "returnCode": 5,
  "warning": "Tracker not assigned with order.",
  "activeorder": {
    "uuid": "54ed91e6-286b-4912-b44c-7a7a3001d715",
    "created": "2014-08-25T08:09:42",
    "orderType": "ON_PREMISE",
    "locationName": "",
    "state": "started",
    "stateChanged": "2014-08-25T06:57:45",
    "name": "66",
    "paged": false,
    "elapsedTime": 0
  }
}
"""

# activeorders-create-modify.txt: POST /activeorders, 200 OK (order modified).
MODIFIED_200 = """\
{
  "status": 200,
  "returnCode": 5,
  "activeorder": {
    "uuid": "54ed91e6-286b-4912-b44c-7a7a3001d715",
    "created": "2014-08-25T08:09:42",
    "orderType": "TO_GO",
    "locationName": "",
    "state": "started",
    "stateChanged": "2014-08-25T06:57:45",
    "name": "66",
    "paged": false,
    "elapsedTime": 0
  }
}
"""

# activeorders-create-modify.txt: POST /activeorders, 200 OK (order already started).
ALREADY_STARTED_1009 = """\
{
  "status": 200,
  "returnCode": 1009,
  "message": "Order already started."
}
"""

# activeorders-create-modify.txt: POST /activeorders, 200 OK (order already located).
ALREADY_LOCATED_1010 = """\
{
  "status": 200,
  "returnCode": 1010,
  "message": "Order already located."
}
"""

# activeorders-create-modify.txt: POST /activeorders, 400 (missing order name).
MISSING_NAME_400 = """\
{
  "status": 400,
  "message": "Missing order name. Must be a positive integer.",
  "returnCode": -8
}
"""

# orders-history.txt: GET /orders, 200 OK: count is a string, timestamps carry +00:00.
ORDERS_200 = """\
{
  "status": 200,
  "returnCode": 8,
  "count": "7",
  "items": [
    {
      "locationName": null,
      "orderLocated": null,
      "uuid": "9e1da5eb-59ea-4003-9c1c-15160879c88d",
      "orderCleared": "2014-08-21T10:00:41+00:00",
      "orderType": "ON_PREMISE",
      "orderStarted": "2014-08-21T10:00:36+00:00",
      "type": "ORDER_SUMMARY",
      "name": "66"
    },
    {
      "locationName": null,
      "orderLocated": null,
      "uuid": "5d968a9c-77ec-41fd-aae8-54ef025b0f0d",
      "orderCleared": "2014-08-21T10:00:47+00:00",
      "orderType": "ON_PREMISE",
      "orderStarted": "2014-08-21T10:00:43+00:00",
      "type": "ORDER_SUMMARY",
      "name": "87"
    },
    {
      "locationName": "10",
      "orderLocated": "2014-08-21T10:05:55+00:00",
      "uuid": "85717acb-a36c-4cd1-847c-f3675f70f2e1",
      "orderCleared": "2014-08-21T10:06:04+00:00",
      "orderType": "ON_PREMISE",
      "orderStarted": "2014-08-21T10:05:27+00:00",
      "type": "ORDER_SUMMARY",
      "name": "66"
    },
    {
      "locationName": null,
      "orderLocated": null,
      "uuid": "57d5ad34-9977-44dc-8406-c1ece92ff85c",
      "orderCleared": "2014-08-21T13:13:57+00:00",
      "orderType": "ON_PREMISE",
      "orderStarted": "2014-08-21T13:13:35+00:00",
      "type": "ORDER_SUMMARY",
      "name": "87"
    },
    {
      "locationName": null,
      "orderLocated": null,
      "uuid": "27db2828-aa6d-44ab-8015-ac5b142be4e7",
      "orderCleared": "2014-08-21T13:13:46+00:00",
      "orderType": "ON_PREMISE",
      "orderStarted": "2014-08-21T13:13:33+00:00",
      "type": "ORDER_SUMMARY",
      "name": "66"
    },
    {
      "locationName": null,
      "orderLocated": null,
      "uuid": "f73e89fe-c32c-4595-9b8a-ad8dcf9791c6",
      "orderCleared": "2014-08-25T07:57:56+00:00",
      "orderType": "ON_PREMISE",
      "orderStarted": "2014-08-25T06:57:45+00:00",
      "type": "ORDER_SUMMARY",
      "name": "66"
    },
    {
      "locationName": "10",
      "orderLocated": "2014-08-21T10:05:59+00:00",
      "uuid": "a677aae2-d064-47d8-9ee3-8232da559b38",
      "orderCleared": "2014-08-21T10:06:01+00:00",
      "orderType": "ON_PREMISE",
      "orderStarted": "2014-08-21T10:05:19+00:00",
      "type": "ORDER_SUMMARY",
      "name": "87"
    }
  ]
}
"""

# orders-history.txt: GET /orders/{uuid}, 200 OK.
ORDER_200 = """\
{
  "status": 200,
  "returnCode": 9,
  "order": {
    "locationName": null,
    "orderLocated": null,
    "uuid": "9e1da5eb-59ea-4003-9c1c-15160879c88d",
    "orderCleared": "2014-08-21T10:00:41+00:00",
    "orderType": "ON_PREMISE",
    "orderStarted": "2014-08-21T10:00:36+00:00",
    "type": "ORDER_SUMMARY",
    "name": "66"
  }
}
"""

# orders-history.txt: GET /orders/{uuid}, 400 (invalid UUID).
INVALID_UUID_400 = """\
{
  "status": 400,
  "message": "Invalid UUID. Must be in the format XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX.",
  "returnCode": -27
}
"""

# orders-history.txt: GET /orders, 400 (limit over 100).
LIMIT_OVER_MAXIMUM_400 = """\
{
  "status": 400,
  "message": "Number of orders to return is over maximum limit of 100.",
  "returnCode": -26
}
"""

# activeorders-model.txt: an active order, located (closing braces restored).
ACTIVE_ORDER_MODEL = """\
{
  "status": 200,
  "returnCode": 5,
  "activeorder": {
    "name": "27",
    "uuid": "66565bd2-5c3e-4b2d-80ff-82cfc1dd2f76",
    "orderType": "ON_PREMISE",
    "locationName": "207",
    "state": "located",
    "stateChanged": "2016-06-10T15:10:08",
    "created": "2016-06-10T15:08:43",
    "paged": false,
    "elapsedTime": 0
  }
}
"""

# statistics.txt: GET /statistics, 200 OK; counts are floats (closing braces restored).
STATISTICS_200 = """\
{
  "status": 200,
  "returnCode": 10,
  "statistics": {
    "averageSeconds": 1809.5,
    "exceededToday": 0,
    "ordersToday": 2.0,
    "targetTime": 200.0,
    "percentGoal": 50.0
  }
}
"""

# pos-integration-guide.txt: GET /accesstoken/generate, 201 (closing braces restored).
TOKEN_201 = """\
{
  "status": 201,
  "token": {
    "name": "default",
    "token": "2f1f4339c7b77fa3474bf8ba8852349273e928bb8ad9d186",
    "creation_date": "2016-12-24T08:04:34",
    "last_used": null,
    "ip_address": null
  }
}
"""
