"""The Connect door (proto/agent_runtime.proto): every method is its own function (its own grants and
role), all served by this one handler under the method's name; agent_runtime/connect/http.py runs the
method the request's path names."""

from agent_runtime.connect.http import call, connect_endpoint
from agent_runtime.http.adapter import Request, Response


@connect_endpoint
def handler(request: Request) -> Response:
    return call(request)


# The handler of each manifest entry (functions/manifest.py CONNECT_METHODS), by its method's name.
create_run = handler
get_run = handler
list_runs = handler
cancel_run = handler
wait_run = handler
stream_events = handler
list_workflows = handler
get_workflow = handler
get_workflow_schemas = handler
inbox = handler
list_checkpoints = handler
get_checkpoint = handler
approve = handler
reject = handler
submit_input = handler
list_artifacts = handler
get_artifact = handler
