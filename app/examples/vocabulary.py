"""Words the seeder draws realistic values from: people, companies, places, money, categories."""

from __future__ import annotations

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Wei Mei Hiroshi Yuki Lukas Anna "
    "Mateo Sofia Jonas Lea Claire Hugo Priya Arjun Fatima Omar Olga Ivan Chloe Noah"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Tanaka Sato Chen Wang Muller Schmidt "
    "Rossi Dubois Ferreira Weber Kowalski Novak Jansen Nielsen Okafor Haddad Kim Park Singh Tan"
).split()
MAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
COMPANY_WORDS = (
    "Northwind Contoso Fabrikam Globex Initech Umbrella Stark Wayne Tyrell Acorn Harbor Summit "
    "Meridian Pioneer Atlas Beacon Cedar Falcon Granite Horizon Juniper Keystone Lumen Orion"
).split()
COMPANY_SUFFIXES = ("Ltd", "GmbH", "Inc", "SA", "BV", "AG", "LLC", "Pte Ltd", "KK", "plc")
CITIES = (
    ("New York", "US"), ("Chicago", "US"), ("London", "GB"), ("Dublin", "IE"), ("Paris", "FR"),
    ("Berlin", "DE"), ("Amsterdam", "NL"), ("Madrid", "ES"), ("Milan", "IT"), ("Lisbon", "PT"),
    ("Singapore", "SG"), ("Tokyo", "JP"), ("Hong Kong", "HK"), ("Sydney", "AU"),
)  # fmt: skip
COUNTRIES = (
    # code, iso3, name, region, EU member
    ("US", "USA", "United States", "NA", False), ("CA", "CAN", "Canada", "NA", False),
    ("GB", "GBR", "United Kingdom", "EMEA", False), ("IE", "IRL", "Ireland", "EMEA", True),
    ("FR", "FRA", "France", "EMEA", True), ("DE", "DEU", "Germany", "EMEA", True),
    ("NL", "NLD", "Netherlands", "EMEA", True), ("ES", "ESP", "Spain", "EMEA", True),
    ("IT", "ITA", "Italy", "EMEA", True), ("PT", "PRT", "Portugal", "EMEA", True),
    ("CH", "CHE", "Switzerland", "EMEA", False), ("SG", "SGP", "Singapore", "APAC", False),
    ("JP", "JPN", "Japan", "APAC", False), ("HK", "HKG", "Hong Kong", "APAC", False),
    ("AU", "AUS", "Australia", "APAC", False),
)  # fmt: skip
# code, name, minor units, value in USD (for realistic fx rates)
CURRENCIES = (
    ("USD", "US Dollar", 2, 1.0), ("EUR", "Euro", 2, 1.08), ("GBP", "Pound Sterling", 2, 1.27),
    ("CHF", "Swiss Franc", 2, 1.12), ("JPY", "Yen", 0, 0.0067), ("SGD", "Singapore Dollar", 2, 0.74),
    ("HKD", "Hong Kong Dollar", 2, 0.128), ("AUD", "Australian Dollar", 2, 0.66),
)  # fmt: skip
EXCHANGES = (
    ("XNYS", "New York Stock Exchange", "US", "America/New_York"),
    ("XNAS", "Nasdaq", "US", "America/New_York"),
    ("XLON", "London Stock Exchange", "GB", "Europe/London"),
    ("XETR", "Xetra", "DE", "Europe/Berlin"),
    ("XSES", "Singapore Exchange", "SG", "Asia/Singapore"),
    ("XTKS", "Tokyo Stock Exchange", "JP", "Asia/Tokyo"),
)
MCCS = ("5411", "5812", "5541", "5311", "4111", "4511", "7011", "5999", "5732", "5912")
# values of categorical columns, by column name
CATEGORIES: dict[str, tuple[str, ...]] = {
    "customer_segment": ("retail", "active_trader", "premium", "private"),
    "account_type": ("individual", "joint", "ira", "corporate"),
    "risk_profile": ("conservative", "balanced", "growth", "aggressive"),
    "account_status": ("open", "open", "open", "restricted", "closed"),
    "holder_role": ("primary", "joint", "authorised"),
    "address_type": ("home", "mailing", "work"),
    "order_type": ("market", "limit", "stop", "stop_limit"),
    "time_in_force": ("day", "gtc", "ioc", "fok"),
    "order_status": ("filled", "filled", "partially_filled", "cancelled", "new"),
    "asset_class": ("equity", "equity", "etf", "bond", "fund"),
    "card_scheme": ("visa", "mastercard"),
    "card_status": ("active", "active", "active", "blocked", "expired"),
    "product_code": ("classic", "gold", "platinum", "travel", "business"),
    "entry_mode": ("chip", "contactless", "ecommerce", "magstripe"),
    "risk_tier": ("low", "low", "medium", "high"),
    "case_type": ("onboarding", "periodic", "event_driven"),
    "case_status": ("open", "in_review", "closed", "closed"),
    "risk_rating": ("low", "medium", "high"),
    "channel": ("email", "sms", "push", "web"),
    "purpose": ("marketing", "analytics", "personalisation"),
    "lawful_basis": ("consent", "contract", "legitimate_interest"),
    "event_name": ("app_open", "login", "view_card", "freeze_card", "transfer", "logout"),
    "os_name": ("ios", "android"),
    "movement_type": ("payment", "receipt", "fx", "fee"),
    "instruction_status": ("matched", "settled", "settled", "pending", "failed"),
    "event_type": ("dividend", "split", "merger", "rights_issue"),
    "journal_source": ("trading", "payments", "payroll", "accruals", "manual"),
    "account_category": ("asset", "liability", "equity", "revenue", "expense"),
    "lei_status": ("ISSUED", "ISSUED", "LAPSED"),
    "scheme": ("visa", "mastercard"),
    "chargeback_status": ("open", "won", "lost"),
    "disposition": ("cleared", "escalated", "false_positive"),
    "document_type": ("passport", "id_card", "driver_licence"),
    "limit_type": ("daily_spend", "atm", "ecommerce"),
    "desk": ("us_equities", "us_rates", "apac_equities", "etf_market_making"),
    "instrument_class": ("equity", "etf", "bond"),
    "client_type": ("individual", "corporate", "institution"),
    "elected_option": ("cash", "stock"),
    "fixing_name": ("WMR 4pm", "ECB"),
}
