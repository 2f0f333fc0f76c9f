"""Name and place tables for the synthetic population (no real people).

Surname shares are calibrated to public counts: Hernández about 4 % per surname slot,
the top five about 15 %, the top twenty about 30 %, then a Zipf tail of real and
synthesised Spanish-looking surnames (more than 2,000 in all).
"""

from __future__ import annotations

import random


def words(text: str) -> list[str]:
    """The whitespace-separated words of a table literal."""
    return text.split()


# (surname, share of surname slots) for the head of the distribution.
SURNAME_HEAD: tuple[tuple[str, float], ...] = (
    ("Hernández", 0.040),
    ("García", 0.032),
    ("Martínez", 0.028),
    ("López", 0.026),
    ("González", 0.024),
    ("Rodríguez", 0.016),
    ("Pérez", 0.015),
    ("Sánchez", 0.014),
    ("Ramírez", 0.013),
    ("Cruz", 0.011),
    ("Flores", 0.0105),
    ("Gómez", 0.010),
    ("Morales", 0.0095),
    ("Vázquez", 0.009),
    ("Reyes", 0.009),
    ("Jiménez", 0.0085),
    ("Torres", 0.008),
    ("Díaz", 0.0075),
    ("Gutiérrez", 0.0075),
    ("Ruiz", 0.0065),
)

# Real surnames for ranks 21 onwards, most common first.
SURNAME_BODY = """
Mendoza Aguilar Ortiz Moreno Castillo Romero Álvarez Méndez Chávez Rivera Juárez Ramos
Domínguez Herrera Medina Castro Vargas Guzmán Velázquez Muñoz Rojas Contreras Salazar
Luna Ortega Guerrero Santiago Estrada Bautista Cortés Soto Alvarado Espinoza Lara Ávila
Ríos Cervantes Silva Delgado Vega Márquez Sandoval Fernández León Carrillo Mejía Solís
Núñez Rosas Valdez Ibarra Campos Santos Camacho Navarro Peña Maldonado Rosales Acosta
Miranda Trejo Cabrera Valencia Nava Robles Molina Rangel Fuentes Huerta Padilla Espinosa
Carmona Pacheco Salinas Zamora Calderón Orozco Valenzuela Mora Escobar Salas
Marín Figueroa Tapia Arellano Duran Ochoa Barrera Villanueva Quintero Aguirre Serrano
Ponce Zúñiga Beltrán Galván Andrade Villegas Meza Ramos Cano Osorio Trujillo Cuevas
Hidalgo Guerra Lozano Bravo Rubio Vera Montes Benítez Arias Suárez Galindo Mercado
Gallegos Sosa Aguilera Pineda Lugo Cisneros Esquivel Cárdenas Olvera Ventura Corona
Palacios Valdés Zavala Fierro Rocha Velasco Bernal Bautista Ochoa Nieto Paredes Ayala
Colín Jaimes Cortez Correa Gallardo Lucero Reyna Barajas Pantoja Sierra Arroyo
Tovar Rivas Guevara Quiroz Villa Rentería Leyva Avendaño Enríquez Escamilla Marroquín
Saucedo Velásquez Toledo Ocampo Zepeda Solano Mata Rico Ledesma Lemus Quezada Becerra
Cortina Montoya Cuéllar Barrios Arreola Sepúlveda Anaya Tellez Carranza Palma Esparza
Montiel Bonilla Bello Mojica Cano Jaramillo Cázares Benavides Gil Yáñez Ibáñez Ordóñez
Muñiz Garza Treviño Elizondo Cantú Villarreal Guajardo Tamez Leal Sáenz Montemayor
Salgado Bustamante Cuevas Lozada Navarrete Ornelas Nájera Segura Tello Rendón Hurtado
Murillo Vidal Lira Uribe Vallejo Alcántara Piña Ruelas Osuna Félix Zazueta Inzunza
Quintana Gámez Sotelo Loera Olivares Parra Rosales Morán Armenta Aragón Baeza Godínez
Zaragoza Alfaro Lima Varela Magaña Franco Arriaga Cordero Hinojosa Abarca Ugalde Quiñones
Ybarra Barragán Bermúdez Cordova Chacón Rincón Ontiveros Macías Machado Maciel Valle
"""

MAYA_SURNAMES = words(
    """
Pech Chan May Canul Uc Ek Dzul Tun Cocom Poot Chi Ku Cab Can Balam Caamal Cauich Euán Huchim
Itzá Yam Xool Couoh Noh Puc Pool Tzuc Chablé Chuc Mukul Xix Aké Canché Dzib Chim Moo Kantún
Keb Chel Ucán Tamay Cen Kuk Pat Koh Naal Tuz Chalé Xiu
"""
)

PARTICLE_SURNAMES: tuple[tuple[str, float], ...] = (
    ("de la Cruz", 0.30),
    ("de León", 0.14),
    ("del Río", 0.08),
    ("de la O", 0.05),
    ("de la Rosa", 0.08),
    ("de la Garza", 0.06),
    ("de la Torre", 0.05),
    ("de los Santos", 0.05),
    ("de la Fuente", 0.04),
    ("del Ángel", 0.04),
    ("de Jesús", 0.04),
    ("del Valle", 0.03),
    ("de la Peña", 0.02),
    ("de los Reyes", 0.02),
    ("de Anda", 0.02),
    ("del Toro", 0.02),
)

_ONSETS = words(
    """
B C D F G L M N P R S T V Z Br Cr Gr Tr Pl Ch Ll Qu
"""
)
_VOWELS = words(
    """
a e i o u a e o
"""
)
_ENDINGS = words("ez es ado ada ero era ino ina illa illo ales ante ón al ar eda oza ura iga ia")


def synthetic_surnames(count: int, taken: set[str], rng: random.Random) -> list[str]:
    """Spanish-looking invented surnames, distinct from each other and from `taken`."""
    out: list[str] = []
    seen = {s.lower() for s in taken}
    while len(out) < count:
        syllables = rng.choice((1, 2, 2, 3))
        word = "".join(rng.choice(_ONSETS).lower() + rng.choice(_VOWELS) for _ in range(syllables))
        word = (word + rng.choice(_ONSETS).lower() + rng.choice(_ENDINGS)).capitalize()
        if word.lower() not in seen and 4 <= len(word) <= 12:
            seen.add(word.lower())
            out.append(word)
    return out


MALE_NAMES = words(
    """
José Juan Luis Carlos Jesús Miguel Francisco Jorge Antonio Alejandro Pedro Manuel Ricardo
Fernando Roberto Eduardo Javier Daniel Rafael Mario Sergio Raúl Arturo Alberto Martín
Enrique Óscar Héctor Víctor Gerardo Guillermo Salvador Ignacio Ramón David Andrés Rubén
Alfredo Armando Hugo Gabriel Adrián Ángel Pablo Ernesto Alfonso Gustavo Julio Rodolfo Felipe
Agustín Joel Israel Gilberto Humberto Marco Diego Emilio Santiago Samuel Cristian Omar Iván
Edgar Rogelio Benjamín Jaime Abel Isaac Saúl Leonardo Alan Erick Jonathan Ulises Tomás
Gonzalo Lorenzo Marcos Noé Efraín Germán Fabián Hilario Mauricio Josué Heriberto Norberto
Leopoldo Bernardo Teodoro Esteban Rigoberto Isidro Moisés Alonso Ezequiel Eliseo Aurelio
Gregorio Margarito Sebastián Mateo Emiliano Rodrigo Aldo Braulio Cuauhtémoc Octavio Nicolás
Porfirio Lázaro Horacio
"""
)

FEMALE_NAMES = words(
    """
María Guadalupe Juana Margarita Verónica Leticia Rosa Patricia Elizabeth Alejandra Gabriela
Adriana Silvia Martha Laura Ana Josefina Teresa Araceli Claudia Sandra Mónica Yolanda Elena
Isabel Carmen Lucía Norma Rocío Alicia Gloria Angélica Beatriz Sofía Fernanda Daniela
Valeria Ximena Andrea Karla Brenda Diana Lorena Susana Cecilia Irma Maribel Esperanza
Dolores Rosario Concepción Luz Cristina Natalia Paola Jessica Carolina Liliana Miriam Elvira
Raquel Lourdes Pilar Socorro Consuelo Mercedes Graciela Francisca Antonia Catalina Estela
Ofelia Olga Blanca Julia Rebeca Lidia Marisol Nancy Erika Alma Itzel Xóchitl Citlali Jazmín
Montserrat Regina Renata Camila Mariana Abigail Yesenia Berenice Griselda Ivonne Reyna
Esther Eva Irene
"""
)

MARIA_SECONDS = (
    ("Guadalupe", 0.22),
    ("del Carmen", 0.10),
    ("de los Ángeles", 0.08),
    ("de Jesús", 0.06),
    ("Elena", 0.05),
    ("Luisa", 0.05),
    ("Isabel", 0.05),
    ("Teresa", 0.04),
    ("Fernanda", 0.06),
    ("José", 0.04),
    ("del Rosario", 0.04),
    ("de Lourdes", 0.04),
    ("Cristina", 0.03),
    ("Eugenia", 0.03),
    ("Dolores", 0.02),
    ("de la Luz", 0.03),
    ("Concepción", 0.02),
    ("Antonieta", 0.02),
    ("Magdalena", 0.02),
    ("Alejandra", 0.03),
    ("Soledad", 0.02),
    ("del Socorro", 0.02),
    ("Félix", 0.01),
)
JOSE_SECONDS = (
    ("Luis", 0.20),
    ("Antonio", 0.14),
    ("de Jesús", 0.08),
    ("Manuel", 0.08),
    ("Juan", 0.06),
    ("Alberto", 0.05),
    ("Guadalupe", 0.05),
    ("Carlos", 0.05),
    ("Francisco", 0.05),
    ("Ángel", 0.05),
    ("Alfredo", 0.03),
    ("Eduardo", 0.03),
    ("Ramón", 0.03),
    ("Roberto", 0.03),
    ("Jorge", 0.02),
    ("Miguel", 0.02),
    ("Martín", 0.02),
    ("María", 0.02),
    ("Refugio", 0.02),
)

# Hypocorisms and anglicised forms the corruption engine may substitute.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "José": ("Pepe", "Chepe"),
    "Guadalupe": ("Lupe", "Lupita"),
    "Francisco": ("Paco", "Pancho"),
    "Jesús": ("Chuy", "Chucho"),
    "Guillermo": ("Memo",),
    "Eduardo": ("Lalo",),
    "Alberto": ("Beto",),
    "Roberto": ("Beto",),
    "Humberto": ("Beto",),
    "Gilberto": ("Beto",),
    "Salvador": ("Chava",),
    "Ignacio": ("Nacho",),
    "Dolores": ("Lola",),
    "Rosario": ("Charo",),
    "Antonio": ("Toño",),
    "Enrique": ("Kike",),
    "Fernando": ("Nando",),
    "Rafael": ("Rafa",),
    "Concepción": ("Concha",),
    "Teresa": ("Tere",),
    "Patricia": ("Paty",),
    "Leticia": ("Lety",),
    "Verónica": ("Vero",),
    "Gabriela": ("Gaby",),
    "Graciela": ("Chela",),
    "Gerardo": ("Lalo",),
    "Heriberto": ("Beto",),
    "Norberto": ("Beto",),
}
ANGLICISED: dict[str, str] = {
    "José": "Joe",
    "Jesús": "Jesse",
    "Guillermo": "William",
    "Francisco": "Frank",
    "Juan": "John",
    "María": "Mary",
    "Miguel": "Michael",
    "Pedro": "Peter",
    "Roberto": "Robert",
    "Ricardo": "Richard",
    "Carlos": "Charles",
    "Antonio": "Anthony",
    "Eduardo": "Edward",
    "Enrique": "Henry",
    "Andrés": "Andrew",
    "Pablo": "Paul",
    "Jorge": "George",
}
ABBREVIATIONS: dict[str, str] = {
    "María": "Ma.",
    "Francisco": "Fco.",
    "Guadalupe": "Gpe.",
    "José": "J.",
    "Jesús": "J.",
}

US_MALE = words(
    """
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
Matthew Anthony Mark Steven Paul Andrew Joshua Kevin Brian George Edward Ryan Jason Gary
Timothy Larry Jeffrey Frank Scott Eric Stephen Raymond Gregory Samuel Patrick Jack Dennis
"""
)
US_FEMALE = words(
    """
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
Sandra Ashley Emily Michelle Amanda Melissa Stephanie Rebecca Laura Sharon Cynthia Kimberly
Deborah Dorothy Amy Angela Helen Anna Brenda Pamela Nicole Katherine Christine Debra Rachel
"""
)
US_SURNAMES = [
    *words(
        """
Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Jackson
Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott
Hill Green Adams Baker Nelson Carter Mitchell Roberts Turner Phillips Campbell Parker Evans
Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Reed Bailey Bell
Kelly Howard Ward Cox Richardson Wood Watson Brooks Bennett Gray Hughes Price Sanders Myers
Long Ross Foster O'Brien McDonald MacArthur Sullivan Russell Fischer Schmidt Novak
"""
    ),
    "Van Horn",
    "De Luca",
]

# (CURP state code, population in millions) for the 32 states, 2020 census rounded.
STATES: tuple[tuple[str, float], ...] = (
    ("AS", 1.43),
    ("BC", 3.77),
    ("BS", 0.80),
    ("CC", 0.93),
    ("CL", 3.15),
    ("CM", 0.73),
    ("CS", 5.54),
    ("CH", 3.74),
    ("DF", 9.21),
    ("DG", 1.83),
    ("GT", 6.17),
    ("GR", 3.54),
    ("HG", 3.08),
    ("JC", 8.35),
    ("MC", 16.99),
    ("MN", 4.75),
    ("MS", 1.97),
    ("NT", 1.24),
    ("NL", 5.78),
    ("OC", 4.13),
    ("PL", 6.58),
    ("QT", 2.37),
    ("QR", 1.86),
    ("SP", 2.82),
    ("SL", 3.03),
    ("SR", 2.94),
    ("TC", 2.40),
    ("TS", 3.53),
    ("TL", 1.34),
    ("VZ", 8.06),
    ("YN", 2.32),
    ("ZS", 1.62),
)
MAYA_STATES = frozenset({"YN", "QR", "CC"})
