"""ACP runs, stateless (`/runs/...`) and on threads (`/threads/{thread_id}/runs/...`)."""

from agent_runtime.acp import runs, views
from agent_runtime.acp.http import acp_endpoint, block_timeout, cancel_action, no_content
from agent_runtime.acp.models import RunCreate, RunCreateStateful, RunCreateStateless, RunSearchRequest
from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response
from agent_runtime.http.sse import last_event_id, sse


def _thread(request: Request) -> str | None:
    return request.path_params.get("thread_id")


def _body(request: Request) -> RunCreate:
    return request.json(RunCreateStateful if _thread(request) else RunCreateStateless)


@acp_endpoint
def _create(request: Request) -> Response:
    run = runs.create(Engine.default(), request.tenant_id, _body(request), _thread(request))
    return Response.json(200, views.acp_run(run))


@acp_endpoint
def _create_and_wait(request: Request) -> Response:
    engine = Engine.default()
    timeout = block_timeout(request)
    run = runs.create(engine, request.tenant_id, _body(request), _thread(request))
    # With ?block_timeout= the run (without an output) comes back once it passes: the run id is needed.
    return Response.json(200, runs.wait(engine, request.tenant_id, run.run_id, timeout))


@acp_endpoint
def _create_and_stream(request: Request) -> Response:
    engine = Engine.default()
    body = _body(request)
    run = runs.create(engine, request.tenant_id, body, _thread(request))
    return sse(runs.stream(engine, request.tenant_id, run.run_id, 0, body.modes()))


@acp_endpoint
def _get(request: Request) -> Response:
    run = runs.get(Engine.default(), request.tenant_id, request.path_params["run_id"], _thread(request))
    return Response.json(200, views.acp_run(run))


@acp_endpoint
def _resume(request: Request) -> Response:
    payload = request.json_value()
    run = runs.resume(
        Engine.default(),
        request.tenant_id,
        request.path_params["run_id"],
        payload,
        request.principal,
        _thread(request),
    )
    return Response.json(200, views.acp_run(run))


@acp_endpoint
def _delete(request: Request) -> Response:
    runs.delete(Engine.default(), request.tenant_id, request.path_params["run_id"], _thread(request))
    return no_content()


@acp_endpoint
def _wait(request: Request) -> Response:
    """GET .../wait, and the seed document's GET /runs/{run_id}/output: the same wait, answering the
    RunWaitResponse, or (output) just the run's output {type: result | interrupt | error, ...}."""
    engine = Engine.default()
    response = runs.wait(
        engine, request.tenant_id, request.path_params["run_id"], block_timeout(request), _thread(request)
    )
    if "output" not in response:
        return no_content()  # block_timeout passed first (a documented deviation: see README)
    if request.path.endswith("/output"):
        return Response.json(200, response["output"])
    return Response.json(200, response)


@acp_endpoint
def _stream(request: Request) -> Response:
    engine = Engine.default()
    run = runs.get(engine, request.tenant_id, request.path_params["run_id"], _thread(request))
    after = last_event_id(request) or 0
    return sse(
        runs.stream(engine, request.tenant_id, run.run_id, after, runs.stream_modes(run), _thread(request))
    )


@acp_endpoint
def _cancel(request: Request) -> Response:
    engine, run_id, thread_id = Engine.default(), request.path_params["run_id"], _thread(request)
    if cancel_action(request) == "rollback":
        runs.delete(engine, request.tenant_id, run_id, thread_id)
    else:
        runs.cancel(engine, request.tenant_id, run_id, thread_id)
    return no_content()


@acp_endpoint
def search_stateless_runs(request: Request) -> Response:
    return Response.json(
        200, runs.search(Engine.default(), request.tenant_id, request.json(RunSearchRequest))
    )


@acp_endpoint
def list_thread_runs(request: Request) -> Response:
    limit = request.int_query("limit", 10, minimum=1, maximum=1000)
    offset = request.int_query("offset", 0, minimum=0)
    return Response.json(
        200,
        runs.for_thread(Engine.default(), request.tenant_id, request.path_params["thread_id"], limit, offset),
    )


create_stateless_run = create_thread_run = _create
create_and_wait_for_stateless_run_output = create_and_wait_for_thread_run_output = _create_and_wait
create_and_stream_stateless_run_output = create_and_stream_thread_run_output = _create_and_stream
get_stateless_run = get_thread_run = _get
resume_stateless_run = resume_thread_run = _resume
delete_stateless_run = delete_thread_run = _delete
wait_for_stateless_run_output = wait_for_thread_run_output = _wait
stream_stateless_run_output = stream_thread_run_output = _stream
cancel_stateless_run = cancel_thread_run = _cancel
