"""The scripted model: deterministic turns, rules, tool calls, pacing, JSON round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_runtime.models import (
    Message,
    ModelConfigError,
    ModelRequest,
    ModelResponse,
    ScriptExhausted,
    TextDelta,
    ToolResultPart,
    provider_for,
)
from agent_runtime.models.scripted import Rule, Script, ScriptedProvider, ScriptedToolCall, Turn, tokens


def ask(text: str, *history: Message) -> ModelRequest:
    return ModelRequest(messages=[*history, Message.of("user", text)])


def test_default_is_scripted_and_echoes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENT_RUNTIME_MODEL", raising=False)
    provider = provider_for()
    response = provider.complete(ask("hello there"))
    assert response.model_id == "scripted"
    assert response.message.text == "You said: hello there"
    assert response.stop_reason == "end_turn"
    assert response.usage.input_tokens == 2
    assert response.usage.output_tokens == len(tokens("You said: hello there")) == 4


def test_turns_follow_the_conversation_and_tool_calls_have_stable_ids() -> None:
    script = Script(
        turns=[
            Turn(text="Let me look.", tool_calls=[ScriptedToolCall(name="search", arguments={"q": "cats"})]),
            Turn(text="Cats sleep a lot."),
        ]
    )
    provider = ScriptedProvider(script)
    first = provider.complete(ask("tell me about cats"))
    assert first.stop_reason == "tool_use"
    [call] = first.message.tool_calls
    assert (call.id, call.name, call.arguments) == ("call_0_0", "search", {"q": "cats"})
    # The same request again (a replay) gets the same answer: nothing is remembered between calls.
    assert provider.complete(ask("tell me about cats")) == first
    history = [
        Message.of("user", "tell me about cats"),
        first.message,
        Message(role="tool", parts=[ToolResultPart(tool_use_id=call.id, content={"hits": 3})]),
    ]
    second = provider.complete(ModelRequest(messages=history))
    assert second.message.text == "Cats sleep a lot."
    assert second.stop_reason == "end_turn"
    with pytest.raises(ScriptExhausted):
        provider.complete(ModelRequest(messages=[*history, second.message, Message.of("user", "more")]))


def test_a_rule_on_the_last_message_wins_over_order() -> None:
    script = Script(
        turns=[
            Turn(text="in order"),
            Turn(when=Rule(role="user", contains="weather"), text="Sunny."),
            Turn(when=Rule(pattern=r"^\d+$"), text="A number."),
        ]
    )
    provider = ScriptedProvider(script)
    assert provider.complete(ask("what is the weather")).message.text == "Sunny."
    assert provider.complete(ask("42")).message.text == "A number."
    assert provider.complete(ask("hi")).message.text == "in order"


def test_deltas_stream_in_order_at_the_configured_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    provider = ScriptedProvider(
        Script(turns=[Turn(text="one two three four")], tokens_per_second=4),
        sleep=sleep,
        clock=lambda: now[0],
    )
    deltas: list[tuple[float, TextDelta]] = []
    response = provider.complete(ask("go"), on_delta=lambda d: deltas.append((now[0], d)))
    assert [d.text for _, d in deltas] == ["one", " two", " three", " four"]
    assert [d.index for _, d in deltas] == [0, 1, 2, 3]
    assert [at for at, _ in deltas] == [0.25, 0.5, 0.75, 1.0]
    assert "".join(d.text for _, d in deltas) == response.message.text


def test_max_tokens_cuts_the_answer() -> None:
    provider = ScriptedProvider(
        Script(turns=[Turn(text="a b c d e", tool_calls=[ScriptedToolCall(name="t")])])
    )
    response = provider.complete(ModelRequest(messages=[Message.of("user", "x")], max_tokens=2))
    assert response.message.text == "a b"
    assert response.stop_reason == "max_tokens"
    assert response.message.tool_calls == []


def test_response_round_trips_through_json() -> None:
    script = Script(turns=[Turn(text="ok", tool_calls=[ScriptedToolCall(name="t", arguments={"n": [1, 2]})])])
    response = ScriptedProvider(script).complete(ask("x"))
    assert ModelResponse.model_validate_json(response.model_dump_json()) == response
    assert ModelResponse.model_validate(json.loads(json.dumps(response.model_dump(mode="json")))) == response


def test_script_from_a_file_and_bad_specs(tmp_path: Path) -> None:
    path = tmp_path / "script.json"
    path.write_text(json.dumps({"name": "demo", "turns": [{"text": "from file"}]}))
    provider = provider_for(f"scripted:{path}")
    assert provider.model_id == "scripted:demo"
    assert provider.complete(ask("x")).message.text == "from file"
    with pytest.raises(ModelConfigError, match="can't use the script"):
        provider_for(f"scripted:{tmp_path / 'missing.json'}")
    with pytest.raises(ModelConfigError, match="unknown model provider"):
        provider_for("gemini:pro")
    with pytest.raises(ModelConfigError, match="names no model"):
        provider_for("bedrock")


def test_environment_chooses_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_MODEL", "bedrock:amazon.nova-lite-v1:0")
    assert provider_for().model_id == "bedrock:amazon.nova-lite-v1:0"
    assert provider_for("scripted").model_id == "scripted"  # a call's own spec overrides it
