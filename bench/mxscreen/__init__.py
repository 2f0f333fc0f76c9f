"""MX-SCREEN: a seeded synthetic benchmark for the screening matcher.

Implements shared/benchmarks/MX-SCREEN.md: `config` (all rates, presets mild /
expected / harsh), `population` and `relatives` (registry persons and hard
negatives, CURPs derived by the RENAPO rules in `curp_gen`), `corrupt` with
`operations`, `typos` and `curp_ops` (source-profile corruptions), `dataset`
(dev/test splits), `harness` (in-memory blocking index standing in for the
blind-index table) and `metrics` / `report` (the §4 scoring protocol).
Run it with `bench/matching_quality.py`. No real people: every name is drawn from
frequency tables and combined at random.

Choices the specification leaves open: accent loss and case/punctuation noise are
cosmetic and do not count toward the three-corruption cap; at most one birth-date
corruption and one CURP corruption per record; negative queries are drawn like the
registry, so by default 6.7 % of them are hard-negative relatives of registry
members (`Preset.neg_hard_share`, `--neg-hard-share`).
"""
