"""The GraphQL operations the app sends (the same ones any app developer could write)."""

from __future__ import annotations

HOME = """
query Home {
  me {
    name { fullName }
    obligations { kind department reference description amount { amount } dueDate }
    entitlements { kind department reference description amount { amount } expectedOn }
    documents { kind department reference expiryDate daysUntilExpiry }
    tasks { kind department title reference dueDate action { mutation value } }
    tax { refundDue { amount } }
    benefits { reference }
    passport { number }
    drivingLicence { status }
    vehicles { registration }
    parkingFines { pcn }
  }
}
"""

FINES = """
query Fines {
  me {
    parkingFines {
      pcn authority vehicleRegistration contravention location issuedAt status
      amount { amount } discountAmount { amount } discountDeadline amountDue { amount }
    }
  }
}
"""

PAY = """
mutation Pay($pcn: String!, $amount: Decimal!, $key: String!) {
  payPenaltyNotice(pcn: $pcn, amount: $amount, idempotencyKey: $key) {
    reference pcn authority amountPaid { amount } paidAt
  }
}
"""

PASSPORT = """
query Passport {
  me {
    passport { number expiryDate status applications { reference received status } }
  }
}
"""

RENEW = """
mutation Renew($input: PassportRenewalInput!, $key: String!) {
  applyForPassportRenewal(input: $input, idempotencyKey: $key) {
    reference passportNumber received status
  }
}
"""

MOVE = """
mutation Move($address: AddressInput!, $key: String!) {
  changeAddress(newAddress: $address, idempotencyKey: $key) { id }
}
"""

ADDRESS_CHANGE = """
query AddressChange($id: ID!) {
  addressChange(id: $id) {
    id complete
    address { lines town postcode }
    deliveries { department authority status attempts deliveredAt }
  }
}
"""

ACCESS_LOG = """
query AccessLog {
  me { accessLog(first: 50) { at accessor role purpose departments } }
}
"""
