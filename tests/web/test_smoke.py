"""The start page lists the work due, including hit confirmations addressed to the agency."""


def test_dashboard_after_sign_in(mx_client):
    response = mx_client.get("/dashboard")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Work due" in text and "Hit confirmations to answer" in text
    page = mx_client.get("/confirmations")
    assert "No confirmation request is waiting for your agency." in page.get_data(as_text=True)
