"""The one modal-state reader: every element type read one way, odd payloads read as empty."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.state import ModalState

VALUES = {
    "note": {"note": {"type": "plain_text_input", "value": "  talked about feedback  "}},
    "cadence": {"cadence": {"type": "static_select", "selected_option": {"value": "weekly"}}},
    "days": {"days": {"type": "checkboxes", "selected_options": [{"value": "0"}, {"value": "3"}]}},
    "time": {"time": {"type": "timepicker", "selected_time": "09:30"}},
    "until": {"until": {"type": "datepicker", "selected_date": "2027-01-10"}},
    "file": {"file": {"type": "file_input", "files": [{"id": "F1", "name": "r.csv"}, {"name": "no id"}]}},
    # an element whose action id differs from its block id is still found
    "theme_1": {"theme": {"type": "static_select", "selected_option": {"value": "care"}}},
}


def test_each_element_type_reads_its_own_field():
    state = ModalState(VALUES)

    assert state.text("note") == "talked about feedback"
    assert state.raw_text("note") == "  talked about feedback  "
    assert state.selected("cadence") == "weekly"
    assert state.selected_many("days") == ["0", "3"]
    assert state.time("time") == "09:30"
    assert state.date("until") == "2027-01-10"
    assert [f["id"] for f in state.files("file")] == ["F1"]
    assert state.selected("theme_1") == "care"
    assert state.has("note") and not state.has("missing")


def test_a_view_payload_is_read_through_its_state():
    assert ModalState.of_view({"state": {"values": VALUES}}).selected("cadence") == "weekly"
    assert ModalState.of_view(None).text("note") == ""


def test_values_of_the_wrong_type_read_as_nothing_chosen():
    state = ModalState(
        {
            "note": {"note": {"value": 12}},
            "cadence": {"cadence": {"selected_option": ["weekly"]}},
            "days": {"days": {"selected_options": [{"value": 1}, "x", {"value": "2"}]}},
            "time": {"time": {"selected_time": {"h": 9}}},
            "file": {"file": {"files": "F1"}},
            "block": "not a mapping",
        }
    )

    assert state.text("note") == "" and state.selected("cadence") is None
    assert state.selected_many("days") == ["2"]
    assert state.time("time") is None and state.files("file") == []
    assert state.element("block") == {} and not state.has("block")


json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=12,
)


@given(json_like, st.sampled_from(["note", "cadence", "days", "", "x"]))
def test_no_payload_makes_the_reader_raise(values, block_id):
    state = ModalState.of_view({"state": {"values": values}})
    assert isinstance(state.text(block_id), str)
    assert state.selected(block_id) is None or isinstance(state.selected(block_id), str)
    assert all(isinstance(v, str) for v in state.selected_many(block_id))
    assert isinstance(state.files(block_id), list)
