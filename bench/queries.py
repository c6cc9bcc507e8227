"""The operations the benchmarks send (the dashboard an app shows on its first screen)."""

from __future__ import annotations

ME = """query Dashboard { me {
  name { fullName }
  tax { taxCode balanceOwed { amount } paymentsDue { dueDate amount { amount } } }
  benefits { reference benefit status awardAmount { amount } nextPaymentDate }
  passport { number expiryDate status }
  drivingLicence { number status expiryDate }
  vehicles { registration taxExpiry motExpiry }
  parkingFines { pcn authority amountDue { amount } discountDeadline }
} }"""

SINGLE_SOURCE = {
    "tax": "query Tax { me { tax { taxCode balanceOwed { amount } } } }",
    "benefits": "query Benefits { me { benefits { reference status } } }",
    "passports": "query Passport { me { passport { number expiryDate } } }",
    "vehicles": "query Vehicles { me { drivingLicence { number } vehicles { registration } } }",
    "parking": "query Parking { me { parkingFines { pcn amountDue { amount } } } }",
}

FIFTY = """query Fifty { citizens(first: 50) { edges { node {
  name { familyName }
  tax { taxCode }
  benefits { reference }
  passport { number }
  drivingLicence { number }
  vehicles { registration }
  parkingFines { pcn }
} } } }"""
