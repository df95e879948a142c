"""Fixed vocabularies for synthetic organisations: departments, locations and names.

The lists are small and plainly fictional; names are drawn independently, so any resemblance
to a real person is chance.
"""

from __future__ import annotations

from typing import Final

#: Department names in the order they are used, each with the division that groups it.
#: The order interleaves divisions so that a small organisation still spans several.
DEPARTMENTS: Final[tuple[tuple[str, str], ...]] = (
    ("Engineering", "Technology"),
    ("Sales", "Commercial"),
    ("Finance", "Corporate Services"),
    ("Operations", "Operations"),
    ("Marketing", "Commercial"),
    ("Product", "Technology"),
    ("Human Resources", "Corporate Services"),
    ("Customer Support", "Commercial"),
    ("IT", "Technology"),
    ("Legal", "Corporate Services"),
    ("Logistics", "Operations"),
    ("Data & Analytics", "Technology"),
    ("Procurement", "Operations"),
    ("Research", "Technology"),
    ("Communications", "Commercial"),
    ("Risk & Compliance", "Corporate Services"),
    ("Manufacturing", "Operations"),
    ("Quality", "Operations"),
    ("Facilities", "Corporate Services"),
    ("Strategy", "Corporate Services"),
    ("Security", "Technology"),
    ("Partnerships", "Commercial"),
    ("Learning", "Corporate Services"),
    ("Internal Audit", "Corporate Services"),
)

#: Qualifiers that make further departments once the base names are used up.
REGIONS: Final[tuple[str, ...]] = ("", " EMEA", " Americas", " APAC")

#: Department and division of the chief executive and the division heads.
EXECUTIVE_DEPARTMENT: Final = "Executive Office"
EXECUTIVE_DIVISION: Final = "Executive"

LOCATIONS: Final[tuple[str, ...]] = (
    "London",
    "Manchester",
    "Edinburgh",
    "Dublin",
    "Amsterdam",
    "New York",
    "Singapore",
    "Bangalore",
)

GENDERS: Final[tuple[str, ...]] = ("female", "male", "non-binary")

FEMALE_FIRST: Final[tuple[str, ...]] = (
    "Amara", "Anna", "Aisha", "Beatriz", "Chloe", "Daniela", "Elena", "Fatima", "Grace",
    "Hannah", "Ines", "Isla", "Jia", "Julia", "Kavya", "Laura", "Leila", "Maria", "Maya",
    "Mei", "Nadia", "Nora", "Olivia", "Priya", "Rosa", "Sara", "Sofia", "Yasmin", "Zara",
    "Zoe",
)  # fmt: skip

MALE_FIRST: Final[tuple[str, ...]] = (
    "Adam", "Ahmed", "Arjun", "Ben", "Carlos", "Daniel", "David", "Ethan", "Felix", "Gabriel",
    "Hassan", "Ivan", "James", "Jonas", "Kenji", "Liam", "Lucas", "Marco", "Mateo", "Noah",
    "Omar", "Oscar", "Pedro", "Rahul", "Samuel", "Tariq", "Tomas", "Wei", "Yusuf", "Ziad",
)  # fmt: skip

NEUTRAL_FIRST: Final[tuple[str, ...]] = (
    "Alex", "Ari", "Charlie", "Jordan", "Kai", "Morgan", "Quinn", "Robin", "Sam", "Sasha",
)  # fmt: skip

LAST: Final[tuple[str, ...]] = (
    "Abbott", "Adeyemi", "Ahmed", "Alvarez", "Andersen", "Bakker", "Banerjee", "Bennett",
    "Brennan", "Campbell", "Chen", "Costa", "Da Silva", "Dubois", "Evans", "Fernandes",
    "Fischer", "Gallagher", "Garcia", "Gupta", "Hansen", "Hughes", "Ivanova", "Jansen",
    "Kaur", "Kelly", "Khan", "Kowalski", "Larsen", "Lee", "Lopez", "Murphy", "Nakamura",
    "Nguyen", "Novak", "Okafor", "O'Brien", "Patel", "Petrov", "Quinn", "Rossi", "Santos",
    "Schmidt", "Singh", "Smith", "Tanaka", "Taylor", "Van Dijk", "Walsh", "Wang", "Williams",
    "Wong", "Yilmaz", "Zhang",
)  # fmt: skip
