"""ACP threads: create, search, get, patch, delete, history, copy."""

from agent_runtime.acp import threads
from agent_runtime.acp.http import acp_endpoint, no_content
from agent_runtime.acp.models import ThreadCreate, ThreadPatch, ThreadSearchRequest
from agent_runtime.engine import Engine
from agent_runtime.http.adapter import Request, Response


@acp_endpoint
def create_thread(request: Request) -> Response:
    return Response.json(200, threads.create(Engine.default(), request.tenant_id, request.json(ThreadCreate)))


@acp_endpoint
def search_threads(request: Request) -> Response:
    return Response.json(
        200, threads.search(Engine.default(), request.tenant_id, request.json(ThreadSearchRequest))
    )


@acp_endpoint
def get_thread(request: Request) -> Response:
    return Response.json(
        200, threads.get(Engine.default(), request.tenant_id, request.path_params["thread_id"])
    )


@acp_endpoint
def patch_thread(request: Request) -> Response:
    body = request.json(ThreadPatch)
    return Response.json(
        200, threads.patch(Engine.default(), request.tenant_id, request.path_params["thread_id"], body)
    )


@acp_endpoint
def delete_thread(request: Request) -> Response:
    threads.delete(Engine.default(), request.tenant_id, request.path_params["thread_id"])
    return no_content()


@acp_endpoint
def get_thread_history(request: Request) -> Response:
    limit = request.int_query("limit", 10, minimum=1, maximum=1000)
    return Response.json(
        200, threads.history(Engine.default(), request.tenant_id, request.path_params["thread_id"], limit)
    )


@acp_endpoint
def copy_thread(request: Request) -> Response:
    return Response.json(
        200, threads.copy(Engine.default(), request.tenant_id, request.path_params["thread_id"])
    )
