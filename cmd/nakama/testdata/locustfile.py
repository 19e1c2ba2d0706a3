# A minimal locustfile for gonakama's Locust test (cmd/nakama/load_locust_test.go).
# A Locust master needs a user class to hand out; the players themselves run
# in Go workers (nakama load -locust-master), so its task never runs.
# It also records, per worker, the requests the master counted, and writes
# them as JSON to $GONAKAMA_LOCUST_REPORT when the master quits.
import json
import os

from locust import User, constant, events, task


class NakamaPlayer(User):
    wait_time = constant(1)

    @task
    def played_by_go_workers(self):
        pass


requests_by_worker = {}


@events.worker_report.add_listener
def count_worker_requests(client_id, data):
    total = data["stats_total"]["num_requests"]
    requests_by_worker[client_id] = requests_by_worker.get(client_id, 0) + total


@events.quitting.add_listener
def write_report(environment, **kwargs):
    path = os.environ.get("GONAKAMA_LOCUST_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(requests_by_worker, f)
