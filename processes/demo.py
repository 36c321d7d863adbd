"""Demo processes for Brightwell Precision: management, core and support processes with owners."""

from datetime import timedelta

from .choices import ProcessStatus, ProcessType, ResourceKind
from .models import HandOff, Process, ProcessDocument, ProcessInput, ProcessOutput, ProcessResource

PROCESSES = [
    # key, name, type, owner, unit, review in days, purpose
    (
        "strategy",
        "Strategic planning",
        ProcessType.MANAGEMENT,
        "lead",
        "management",
        120,
        "Set direction, quality policy and objectives each year, from the context, interested parties and risks.",
    ),
    (
        "review",
        "Management review",
        ProcessType.MANAGEMENT,
        "quality",
        "management",
        60,
        "Review the performance of the QMS twice a year and decide on improvements, changes and resources.",
    ),
    (
        "sales",
        "Sales and contract review",
        ProcessType.CORE,
        "sales",
        "sales",
        90,
        "Turn customer enquiries into confirmed orders we can deliver: requirements reviewed before we commit.",
    ),
    (
        "design",
        "Design and development",
        ProcessType.CORE,
        "design",
        "engineering",
        -10,
        "Develop new components and changes from customer requirements to a released, validated design.",
    ),
    (
        "purchasing",
        "Purchasing and supplier management",
        ProcessType.CORE,
        "buyer",
        "purchasing",
        45,
        "Buy materials and outside processes from approved suppliers, and monitor how they perform.",
    ),
    (
        "production",
        "Production",
        ProcessType.CORE,
        "owner",
        "production",
        30,
        "Machine and assemble components to the released drawings, plan and schedule.",
    ),
    (
        "inspection",
        "Inspection and release",
        ProcessType.CORE,
        "inspection",
        "quality",
        -3,
        "Verify product meets requirements before release; control nonconforming output.",
    ),
    (
        "delivery",
        "Delivery",
        ProcessType.CORE,
        "logistics",
        "logistics",
        75,
        "Pack and ship to the customer on time and undamaged.",
    ),
    (
        "service",
        "Customer service and complaints",
        ProcessType.CORE,
        "service",
        "sales",
        100,
        "Answer customers, handle complaints and returns, and measure satisfaction.",
    ),
    (
        "hr",
        "People and competence",
        ProcessType.SUPPORT,
        "hr",
        "hr",
        150,
        "Recruit, train and keep the competence each role needs.",
    ),
    (
        "maintenance",
        "Maintenance and calibration",
        ProcessType.SUPPORT,
        "maint",
        "maintenance",
        20,
        "Keep machines and measuring equipment fit for use.",
    ),
    (
        "improvement",
        "Improvement and corrective action",
        ProcessType.SUPPORT,
        "quality",
        "quality",
        200,
        "Find causes, act on them and check the actions worked; run internal audits.",
    ),
]


def seed_processes(demo) -> None:
    for key, name, kind, owner, unit, review_in, purpose in PROCESSES:
        process = Process(
            name=name,
            type=kind,
            purpose=purpose,
            owner=demo.people[owner],
            org_unit=demo.units[unit],
            status=ProcessStatus.ACTIVE,
            next_review_date=demo.today + timedelta(days=review_in),
            created_by=demo.people["quality"],
            updated_by=demo.people["quality"],
        )
        process._history_user = demo.people["quality"]
        process.save()
        demo.processes[key] = process
    demo.processes["production"].deputies.add(demo.people["planner"])
    Process.objects.create(
        name="Additive manufacturing pilot",
        type=ProcessType.CORE,
        purpose="Trial 3D-printed fixtures before deciding whether to make it a process of its own.",
        owner=demo.people["engineer"],
        org_unit=demo.units["engineering"],
        status=ProcessStatus.DRAFT,
    )


HANDOFFS = [
    ("strategy", "review", "Quality objectives and plans"),
    ("review", "strategy", "Decisions and resource needs"),
    ("improvement", "review", "Audit results and action status"),
    ("service", "review", "Customer satisfaction and complaints"),
    ("sales", "design", "Confirmed orders and requirements"),
    ("design", "purchasing", "Released drawings and bills of material"),
    ("design", "production", "Routings and work instructions"),
    ("purchasing", "production", "Approved material"),
    ("production", "inspection", "Finished parts"),
    ("inspection", "delivery", "Released product"),
    ("inspection", "improvement", "Nonconformity reports"),
    ("delivery", "service", "Delivery records"),
    ("service", "improvement", "Complaints for root-cause analysis"),
    ("hr", "production", "Trained operators"),
    ("maintenance", "production", "Serviceable machines"),
    ("maintenance", "inspection", "Calibrated gauges"),
]

TURTLES = {
    "sales": {
        "inputs": [("Enquiries and orders", "Customers"), ("Customer specifications", "Customers")],
        "outputs": [("Quotations and order confirmations", "Customers")],
        "resources": [(ResourceKind.PEOPLE, "Sales engineers"), (ResourceKind.INFORMATION, "ERP order module")],
        "documents": [("Contract review procedure QP-07", "https://intranet.example/qms/qp-07")],
    },
    "purchasing": {
        "inputs": [("Material and outside processing", "Approved suppliers")],
        "outputs": [("Purchase orders", "Suppliers"), ("Supplier ratings", "Suppliers")],
        "resources": [(ResourceKind.PEOPLE, "Buyers"), (ResourceKind.INFORMATION, "Approved supplier list")],
        "documents": [("Supplier approval procedure QP-11", "https://intranet.example/qms/qp-11")],
    },
    "production": {
        "inputs": [],
        "outputs": [],
        "resources": [
            (ResourceKind.PEOPLE, "CNC setters and operators"),
            (ResourceKind.EQUIPMENT, "Five-axis machining centres"),
            (ResourceKind.ENVIRONMENT, "Temperature-controlled machine hall"),
        ],
        "documents": [
            ("Production control procedure QP-14", "https://intranet.example/qms/qp-14"),
            ("First-off inspection work instruction WI-031", "https://intranet.example/qms/wi-031"),
        ],
    },
    "delivery": {
        "inputs": [],
        "outputs": [("Shipped product with certificates", "Customers")],
        "resources": [(ResourceKind.EQUIPMENT, "Returnable packaging")],
        "documents": [("Packing and despatch instruction WI-052", "https://intranet.example/qms/wi-052")],
    },
    "service": {
        "inputs": [("Complaints, returns and feedback", "Customers")],
        "outputs": [("Complaint responses (8D)", "Customers")],
        "resources": [(ResourceKind.PEOPLE, "Customer service team")],
        "documents": [("Complaint handling procedure QP-19", "https://intranet.example/qms/qp-19")],
    },
    "strategy": {
        "inputs": [("Market and regulatory changes", "Interested parties")],
        "outputs": [("Quality policy", "All staff")],
        "resources": [(ResourceKind.PEOPLE, "Leadership team")],
        "documents": [("Quality manual", "https://intranet.example/qms/manual")],
    },
}


def seed_process_links(demo) -> None:
    """Hand-offs between the demo processes and the turtles of the main ones."""
    for source, target, item in HANDOFFS:
        HandOff.objects.create(source=demo.processes[source], target=demo.processes[target], item=item)
    for key, turtle in TURTLES.items():
        process = demo.processes[key]
        for name, supplier in turtle["inputs"]:
            ProcessInput.objects.create(process=process, name=name, supplier=supplier)
        for name, customer in turtle["outputs"]:
            ProcessOutput.objects.create(process=process, name=name, customer=customer)
        for kind, description in turtle["resources"]:
            ProcessResource.objects.create(process=process, kind=kind, description=description)
        for title, url in turtle["documents"]:
            ProcessDocument.objects.create(process=process, title=title, url=url)
