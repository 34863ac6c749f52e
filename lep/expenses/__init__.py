"""Expenses: claims, policy checks and approvals. (Groundwork: mileage and pay-date maths.)"""
