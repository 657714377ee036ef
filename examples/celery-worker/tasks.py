"""A queue worker with no HTTP port: Celery tasks with Redis as the broker."""
import os

from celery import Celery

app = Celery("tasks", broker=os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
app.conf.task_acks_late = True


@app.task
def resize(image_id: str, width: int) -> dict:
    # Stand-in for real work: the result says what would have been produced.
    return {"image": image_id, "width": width, "status": "resized"}
