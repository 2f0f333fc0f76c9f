"""The audit log's canonical bytes are RFC 8785 (checked against a full implementation)."""

from __future__ import annotations

import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from registry.audit.events import jcs

scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(alphabet=st.characters(max_codepoint=127)), values, max_size=8))
def test_event_documents_serialise_as_rfc8785(document: dict[str, object]) -> None:
    assert jcs(document) == rfc8785.dumps(document)
