"""Builder of the demo processes (processes/demo.yaml): the processes with their turtles, set up by
the quality manager, and the hand-offs between them."""

from qms.choices import Role
from qms.demo_loader import Demo, builds
from qms.models import User

from .choices import ProcessStatus
from .models import HandOff, Process, ProcessDocument, ProcessInput, ProcessOutput, ProcessResource

TURTLE = {"inputs": ProcessInput, "outputs": ProcessOutput, "resources": ProcessResource, "documents": ProcessDocument}


@builds("processes", "hand_offs", order=20)
def seed_processes(demo: Demo, *, processes: dict, hand_offs: list) -> dict[str, int]:
    quality = demo.first(User, role=Role.QUALITY_MANAGER)
    for key, fields in demo.entries("processes", processes):
        turtle = {part: fields.pop(part, []) for part in TURTLE}
        fields.setdefault("status", ProcessStatus.ACTIVE)
        process = demo.create(Process, fields, by=quality, key=key)
        for part, entries in turtle.items():
            for _number, part_fields in demo.entries(part, entries):
                demo.create(TURTLE[part], part_fields, by=quality, process=process)
    for _number, fields in demo.entries("hand_offs", hand_offs):
        demo.create(HandOff, fields, by=quality)
    return {"processes": len(processes), "hand-offs": len(hand_offs)}
