"""Word lists the renderers draw from, so records read like a real support account."""

from __future__ import annotations

ACCOUNT_URL = "https://example.zendesk.com/api/v2"

FIRST_NAMES = (
    "Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kemal", "Lea", "Mateo", "Nora",
    "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Viktor", "Wen", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Adler", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito", "Jensen", "Kowalski",
    "Lopez", "Meyer", "Novak", "Okafor", "Petrov", "Rossi", "Silva", "Tanaka", "Weber",
)  # fmt: skip
COMPANY_WORDS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent", "Tyrell",
    "Cyberdyne", "Aperture", "Gringotts", "Monarch", "Oscorp", "Wonka",
)  # fmt: skip
COMPANY_SUFFIXES = ("Ltd", "GmbH", "Inc", "AB", "SA", "BV", "Corp")
SUBJECTS = (
    "Cannot log in to my account", "Invoice shows the wrong amount", "Refund request for order",
    "App crashes when uploading a photo", "How do I export my data?", "Password reset email never arrives",
    "Charged twice this month", "Feature request: dark mode", "API returns 500 on /orders",
    "Shipping address change", "Cancel my subscription", "Two-factor code not accepted",
    "Integration with Slack stopped working", "Report is missing last week's numbers", "Upgrade to the annual plan",
)  # fmt: skip
COMMENTS = (
    "Thanks for reaching out, we're looking into it.", "Could you send us a screenshot of the error?",
    "This has been fixed on our side, please try again.", "I've escalated this to our engineering team.",
    "Following up: is this still happening?", "Refund issued, it should show within 5 business days.",
    "Internal note: customer is on the enterprise plan.", "Works for me now, thank you!",
)  # fmt: skip
TAGS = (
    "billing", "login", "mobile", "api", "refund", "vip", "bug", "feature_request", "shipping", "churn_risk",
    "enterprise", "onboarding",
)  # fmt: skip
CHANNELS = ("email", "web", "api", "chat", "voice", "mobile_sdk")
TICKET_TYPES = (None, "question", "incident", "problem", "task")
GROUP_IDS = (360_000_001, 360_000_002, 360_000_003, 360_000_004, 360_000_005)
CUSTOM_FIELD_PRODUCT = 360_010_001
CUSTOM_FIELD_REGION = 360_010_002
CUSTOM_FIELD_ORDER = 360_010_003
PRODUCTS = ("core", "mobile", "api", "billing", None)
REGIONS = ("emea", "amer", "apac")
LOCALES = ("en-US", "de", "fr", "es", "ja", "pt-BR")
TIME_ZONES = ("Copenhagen", "Pacific Time (US & Canada)", "London", "Tokyo", "Berlin", "Sao Paulo")
# Zendesk's locale ids and IANA names of the above, by position.
LOCALE_IDS = (1, 8, 16, 2, 67, 19)
IANA_TIME_ZONES = (
    "Europe/Copenhagen",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/Sao_Paulo",
)
# Ticket forms (the default one first) and the ids of the standard custom statuses, by lifecycle status; a
# deleted ticket keeps its last status's id.
TICKET_FORM_IDS = (360_000_200, 360_000_201)
CUSTOM_STATUS_IDS = (360_000_301, 360_000_302, 360_000_303, 360_000_304, 360_000_305, 360_000_305, 360_000_305)
SATISFACTION = ("good", "good", "good", "bad", "offered", "unoffered")
