"""Reference data for the generator: age structure, names, places.

- Age structure: GUS, *Ludność. Stan i struktura* (30 June 2023), rounded to
  tens of thousands per five-year band; the share of women rises with age as
  in the same tables.
- Names: the most common Polish given names and surnames in rank order, as
  published from the PESEL register on dane.gov.pl. Only ranks are used: the
  weight of rank r is r ** -ZIPF (frequencies of names follow Zipf's law
  closely, and the published counts are not redistributable as a package).
- Places: the 16 voivodeships with their real TERYT codes and populations
  (millions, GUS 2023) and the real TERC code of each capital; other
  municipalities are synthetic but TERYT-shaped.
"""

from __future__ import annotations

from importlib import resources


def _ranked(name: str) -> list[str]:
    """One name per line, most frequent first."""
    text = (resources.files("openpesel.population") / "names" / f"{name}.txt").read_text("utf-8")
    return text.split()


AGE_BANDS_THOUSANDS = [
    1750, 1950, 2050, 1900, 1850, 2150, 2700, 3100, 3050,
    2700, 2350, 2250, 2600, 2700, 2150, 1350, 950, 900,
]
"""Residents per five-year band, 0-4 ... 80-84, 85+ (85+ spread over 85-99)."""

FEMALE_SHARE_BY_BAND = [
    0.486, 0.486, 0.486, 0.487, 0.488, 0.49, 0.49, 0.49, 0.49,
    0.50, 0.51, 0.52, 0.53, 0.55, 0.57, 0.60, 0.64, 0.70,
]

ZIPF = 0.9

FEMALE_NAMES = _ranked("female_names")

MALE_NAMES = _ranked("male_names")

SURNAMES = _ranked("surnames")

UKR_FEMALE = _ranked("ukr_female")
UKR_MALE = _ranked("ukr_male")
UKR_SURNAMES = _ranked("ukr_surnames")
UKR_PLACES = _ranked("ukr_places")

VOIVODESHIPS = [
    # TERYT, name, population (millions), capital, capital's TERC code
    ("02", "dolnośląskie", 2.87, "Wrocław", "0264011"),
    ("04", "kujawsko-pomorskie", 2.0, "Bydgoszcz", "0461011"),
    ("06", "lubelskie", 2.0, "Lublin", "0663011"),
    ("08", "lubuskie", 0.98, "Zielona Góra", "0862011"),
    ("10", "łódzkie", 2.4, "Łódź", "1061011"),
    ("12", "małopolskie", 3.43, "Kraków", "1261011"),
    ("14", "mazowieckie", 5.5, "Warszawa", "1465011"),
    ("16", "opolskie", 0.95, "Opole", "1661011"),
    ("18", "podkarpackie", 2.08, "Rzeszów", "1863011"),
    ("20", "podlaskie", 1.15, "Białystok", "2061011"),
    ("22", "pomorskie", 2.35, "Gdańsk", "2261011"),
    ("24", "śląskie", 4.3, "Katowice", "2469011"),
    ("26", "świętokrzyskie", 1.18, "Kielce", "2661011"),
    ("28", "warmińsko-mazurskie", 1.38, "Olsztyn", "2862011"),
    ("30", "wielkopolskie", 3.48, "Poznań", "3064011"),
    ("32", "zachodniopomorskie", 1.64, "Szczecin", "3262011"),
]
CAPITAL_SHARE = 0.3
"""Share of a voivodeship's residents placed in its capital; the rest are spread
over synthetic counties and municipalities."""

STREETS = _ranked("streets")
