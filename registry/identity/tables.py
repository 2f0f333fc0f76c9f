"""Word lists used by name normalisation: particles, abbreviations, hypocorisms.

All entries are accent-folded upper case, as produced by `text.fold`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Words that join a compound name but carry no identity of their own.
GIVEN_PARTICLES: frozenset[str] = frozenset(
    {"DE", "DEL", "LA", "LAS", "LOS", "Y", "DELA", "DELAS", "DELOS"}
)
SURNAME_PARTICLES: frozenset[str] = GIVEN_PARTICLES | {
    "DA",
    "DAS",
    "DI",
    "DO",
    "DOS",
    "MC",
    "MAC",
    "VAN",
    "VON",
    "DER",
    "DEN",
    "VDA",
    "VIUDA",
}

# Leading given names so common that on their own they say little (RENAPO skips them too).
WEAK_GIVEN: frozenset[str] = frozenset({"MARIA", "JOSE"})

# Generational and honorific suffixes dropped from any name field.
SUFFIXES: frozenset[str] = frozenset({"JR", "SR", "II", "III", "IV", "JUNIOR"})

# Abbreviations of given names as officers type them ("MA.", "FCO.", "GPE.").
GIVEN_ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {
        "MA": "MARIA",
        "MARI": "MARIA",
        "MRA": "MARIA",
        "FCO": "FRANCISCO",
        "GPE": "GUADALUPE",
        "GUADA": "GUADALUPE",
        "JSE": "JOSE",
        "JS": "JESUS",
        "JUA": "JUAN",
        "GMO": "GUILLERMO",
        "FDO": "FERNANDO",
        "FERNDO": "FERNANDO",
        "ALEJ": "ALEJANDRO",
        "ANT": "ANTONIO",
        "ANTO": "ANTONIO",
        "MIG": "MIGUEL",
        "RGO": "RODRIGO",
        "RDO": "RICARDO",
        "EDO": "EDUARDO",
        "CARM": "CARMEN",
        "CONCEP": "CONCEPCION",
    }
)

# Given names that, after a particle, are often parsed into the surname field
# ("MARIA DE LOS ANGELES" -> given "MARIA", paternal "DE LOS ANGELES HERNANDEZ").
GIVEN_TAILS: frozenset[str] = frozenset(
    {
        "ANGELES",
        "JESUS",
        "CARMEN",
        "GUADALUPE",
        "LOURDES",
        "ROSARIO",
        "LUZ",
        "PILAR",
        "SOCORRO",
        "REFUGIO",
        "CONSUELO",
        "DOLORES",
        "MERCEDES",
        "FATIMA",
        "MONSERRAT",
        "CRUZ",
    }
)

# Bases of particle surnames that are also written glued ("DELACRUZ", "DELEON").
PARTICLE_SURNAME_BASES: frozenset[str] = frozenset(
    {
        "CRUZ",
        "ROSA",
        "GARZA",
        "TORRE",
        "FUENTE",
        "PENA",
        "PAZ",
        "VEGA",
        "O",
        "LUZ",
        "LEON",
        "RIO",
        "ANGEL",
        "VALLE",
        "SANTOS",
        "REYES",
        "JESUS",
        "ROSAS",
        "CERDA",
        "MORA",
        "PARRA",
        "BARRERA",
        "CUEVA",
        "HOYA",
        "LLAVE",
        "PORTILLA",
        "SERNA",
        "ISLA",
        "RIVA",
        "TEJA",
        "LOMA",
        "GARMA",
        "CAMPA",
        "TORRES",
        "ANGELES",
        "CASTILLO",
        "VILLAR",
        "HOZ",
        "MAZA",
        "ROCHA",
        "SELVA",
    }
)
GLUED_PARTICLE_PREFIXES: tuple[str, ...] = ("DELOS", "DELAS", "DELA", "DEL", "DE")

# Hypocorisms and anglicised forms -> canonical given names (many-to-many).
NICKNAMES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        name: frozenset(targets.split())
        for name, targets in {
            "PEPE": "JOSE",
            "PEPITO": "JOSE",
            "CHEPE": "JOSE",
            "JOE": "JOSE",
            "JOSEPH": "JOSE",
            "CHEMA": "JOSE",
            "LUPE": "GUADALUPE",
            "LUPITA": "GUADALUPE",
            "PACO": "FRANCISCO",
            "PANCHO": "FRANCISCO",
            "FRANK": "FRANCISCO",
            "FRANCIS": "FRANCISCO",
            "PANCHA": "FRANCISCA",
            "PAQUITA": "FRANCISCA",
            "CHUY": "JESUS",
            "CHUCHO": "JESUS",
            "JESSE": "JESUS",
            "MEMO": "GUILLERMO",
            "WILLIAM": "GUILLERMO",
            "WILL": "GUILLERMO",
            "LALO": "EDUARDO GERARDO",
            "EDWARD": "EDUARDO",
            "BETO": "ALBERTO ROBERTO HUMBERTO GILBERTO HERIBERTO NORBERTO",
            "CHAVA": "SALVADOR",
            "CHAVO": "SALVADOR",
            "NACHO": "IGNACIO",
            "LOLA": "DOLORES",
            "CHARO": "ROSARIO",
            "CHAYO": "ROSARIO",
            "JOHN": "JUAN",
            "JOHNNY": "JUAN",
            "MARY": "MARIA",
            "MARIE": "MARIA",
            "TONO": "ANTONIO",
            "TONY": "ANTONIO",
            "ANTHONY": "ANTONIO",
            "KIKE": "ENRIQUE",
            "HENRY": "ENRIQUE",
            "NANDO": "FERNANDO",
            "RAFA": "RAFAEL",
            "CONCHA": "CONCEPCION",
            "CONCHITA": "CONCEPCION",
            "TERE": "TERESA",
            "PATY": "PATRICIA",
            "PATI": "PATRICIA",
            "LETY": "LETICIA",
            "LETI": "LETICIA",
            "VERO": "VERONICA",
            "GABY": "GABRIELA",
            "CHELA": "GRACIELA",
            "LENCHO": "LORENZO",
            "POLO": "LEOPOLDO HIPOLITO",
            "MIKE": "MIGUEL",
            "MICHAEL": "MIGUEL",
            "PETER": "PEDRO",
            "JAMES": "JAIME SANTIAGO",
            "ROBERT": "ROBERTO",
            "RICHARD": "RICARDO",
            "CHARLES": "CARLOS",
            "ALBERT": "ALBERTO",
            "ANDREW": "ANDRES",
            "ELIZABETH": "ISABEL",
            "PAUL": "PABLO",
            "STEPHEN": "ESTEBAN",
            "STEVEN": "ESTEBAN",
            "ALEX": "ALEJANDRO ALEJANDRA",
            "ALE": "ALEJANDRO ALEJANDRA",
            "PILI": "PILAR",
            "MAYTE": "TERESA",
            "MARICARMEN": "CARMEN",
            "MARIBEL": "ISABEL",
            "NENA": "ELENA",
            "LUCHO": "LUIS",
            "LOUIS": "LUIS",
            "JORGITO": "JORGE",
            "GEORGE": "JORGE",
        }.items()
    }
)
