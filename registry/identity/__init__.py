"""Identity: name normalisation, CURP handling, blocking keys and match scoring.

Pure Python: no database, no web framework, no cryptography. Blocking keys are
turned into blind indexes by `registry.crypto`; candidates found through them are
decrypted elsewhere and scored here.
"""

from registry.identity.blocking import BLOCKING_SCHEME, Key, blocking_keys, query_keys
from registry.identity.curp import CurpError, CurpInfo, decode_curp, is_valid_curp, validate_curp
from registry.identity.dates import DateAgreement, compare_dates
from registry.identity.matching import Match, MatchLevel, score, score_without_names
from registry.identity.model import GivenName, Identity, NormalisedIdentity
from registry.identity.normalise import normalise, normalise_sex, normalise_without_names
from registry.identity.phonetic import phonetic_key

__all__ = [
    "BLOCKING_SCHEME",
    "CurpError",
    "CurpInfo",
    "DateAgreement",
    "GivenName",
    "Identity",
    "Key",
    "Match",
    "MatchLevel",
    "NormalisedIdentity",
    "blocking_keys",
    "compare_dates",
    "decode_curp",
    "is_valid_curp",
    "normalise",
    "normalise_sex",
    "normalise_without_names",
    "phonetic_key",
    "query_keys",
    "score",
    "score_without_names",
    "validate_curp",
]
