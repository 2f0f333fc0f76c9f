def test_dashboard_after_sign_in(mx_client):
    response = mx_client.get("/dashboard")
    assert response.status_code == 200
    assert "Work due" in response.get_data(as_text=True)
