"""Demo risks and opportunities for Brightwell Precision: some twenty-five risks and eight
opportunities across the demo processes and objectives, scored on the default 5 × 5 matrix so that
both heat maps have records in every band.

Treatments are actions raised from the risk, as "Add a treatment action" on a risk's page raises
them, in every state from open to verified. Reviews over the past two years move the scores, a few
risks are overdue for review, and one high risk's acceptance is approved by Leadership while another
waits for it. Dates are relative to today, so the demo always looks current.

Reviews and approvals go through the risk services, acting as the person who would record them in
the app, and every record passes full_clean(): the demo holds nothing the app would refuse.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.utils import timezone
from simple_history.models import HistoricalRecords

from qms.choices import ActionKind, ActionStatus
from qms.models import Action

from . import services
from .choices import Category, RiskKind, RiskStatus, Strategy
from .models import Risk

RISK, OPPORTUNITY = RiskKind.RISK, RiskKind.OPPORTUNITY
IDENTIFIED, ASSESSED, IN_TREATMENT = RiskStatus.IDENTIFIED, RiskStatus.ASSESSED, RiskStatus.IN_TREATMENT
MONITORED, CLOSED = RiskStatus.MONITORED, RiskStatus.CLOSED
OPEN, IN_PROGRESS, DONE = ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE
EFFECTIVE, NOT_EFFECTIVE, CANCELLED = (
    ActionStatus.VERIFIED_EFFECTIVE,
    ActionStatus.NOT_EFFECTIVE,
    ActionStatus.CANCELLED,
)


@dataclass(frozen=True)
class Review:
    """A review, `days_ago` before today, and the scores with controls it found."""

    days_ago: int
    likelihood: int
    impact: int
    reviewer: str
    note: str


@dataclass(frozen=True)
class Treatment:
    """A treatment action. `due_in` is days from today: past for overdue or finished work."""

    title: str
    owner: str
    due_in: int
    status: str
    description: str
    note: str = ""  # what the effectiveness check found, for verified treatments
    kind: str = ""  # preventive for a risk, an improvement for an opportunity, unless given


@dataclass(frozen=True)
class Entry:
    """One risk or opportunity. Scores are (likelihood, impact) pairs; `residual` is the current one,
    which the latest review (if any) must give. `review_in` is the next review, in days from today."""

    title: str
    category: str
    owner: str
    status: str
    description: str
    cause: str
    consequence: str
    kind: str = RISK
    processes: tuple[str, ...] = ()
    objectives: tuple[str, ...] = ()
    deputies: tuple[str, ...] = ()
    inherent: tuple[int, int] | None = None
    residual: tuple[int, int] | None = None
    target: tuple[int, int] | None = None
    controls: str = ""
    strategy: str = ""
    review_in: int | None = None
    rationale: str = ""
    approved_by: str = ""
    reviews: tuple[Review, ...] = ()
    treatments: tuple[Treatment, ...] = ()


RISKS = [
    Entry(
        title="Loss of Arden Motors, our largest customer",
        category=Category.STRATEGY,
        owner="lead",
        deputies=("sales",),
        processes=("strategy", "sales"),
        objectives=("otd", "satisfaction"),
        status=MONITORED,
        description="Arden Motors buys gearbox housings and brackets worth about a third of our sales.",
        cause="Arden reviews its supplier base each year and is moving part of its volume to low-cost countries.",
        consequence="Losing the account would cut turnover by a third and leave the five-axis cell half idle.",
        inherent=(4, 5),
        residual=(3, 5),
        target=(2, 5),
        controls="Long-term agreement to 2028; quarterly business reviews; on-time delivery and ppm reported to "
        "Arden monthly.",
        strategy=Strategy.ACCEPT,
        rationale="The long-term agreement runs to 2028 and the margin on the Arden work funds the five-axis cell. "
        "Diversification goes on through the sales plan; Leadership reviews the share of sales each quarter.",
        approved_by="ops",
        review_in=60,
        reviews=(
            Review(700, 4, 5, "lead", "Arden's share of sales reached 46 %; its sourcing review names us."),
            Review(380, 3, 5, "sales", "A new farm-machinery customer and first rail enquiries; Arden down to 38 %."),
            Review(120, 3, 5, "lead", "Long-term agreement signed to 2028; the exposure stays but is stable."),
        ),
    ),
    Entry(
        title="Single source for 6082 aluminium bar",
        category=Category.SUPPLY,
        owner="buyer",
        deputies=("auditor2",),
        processes=("purchasing", "production"),
        objectives=("suppliers", "otd"),
        status=IN_TREATMENT,
        description="All 6082-T6 bar for housings comes from one mill through one stockholder.",
        cause="Only one mill was approved when the Arden housings were launched; mill allocations are tight.",
        consequence="A missed delivery stops the housing line within two weeks and customer deliveries with it.",
        inherent=(4, 5),
        residual=(4, 4),
        target=(2, 3),
        controls="Four weeks' buffer stock; weekly call-off with the stockholder.",
        strategy=Strategy.REDUCE,
        review_in=30,
        reviews=(
            Review(540, 4, 4, "buyer", "Two late deliveries last quarter; buffer stock raised to four weeks."),
            Review(300, 5, 4, "buyer", "The mill cut our allocation by 20 % for the year: a stoppage is now likely."),
            Review(60, 4, 4, "auditor2", "Buffer at six weeks; the second mill's trial lots failed on chemistry."),
        ),
        treatments=(
            Treatment(
                "Raise 6082 bar buffer stock to six weeks",
                "buyer",
                -100,
                EFFECTIVE,
                "Agree the extra stock with finance and the stockholder; review the level monthly.",
                note="No stoppage for bar since; stock never fell below four weeks in five months.",
            ),
            Treatment(
                "Consignment stock of 6082 bar at the stockholder",
                "buyer",
                40,
                OPEN,
                "Ask the stockholder to hold eight weeks of our sizes on consignment, called off weekly.",
            ),
        ),
    ),
    Entry(
        title="Breakdown of the DMU 65 five-axis machining centre",
        category=Category.INFRASTRUCTURE,
        owner="maint",
        deputies=("owner",),
        processes=("maintenance", "production"),
        objectives=("downtime", "otd"),
        status=ASSESSED,
        description="The DMU 65 machines every Arden housing; we have no second five-axis machine.",
        cause="Spindle or control failure; spares for the spindle have a lead time of six weeks.",
        consequence="Housing output stops until repair; a spindle failure costs about six weeks of deliveries.",
        inherent=(3, 5),
        residual=(2, 5),
        target=(2, 5),
        controls="Vibration monitoring on the spindle; planned maintenance each quarter; a spare spindle "
        "cartridge on order.",
        strategy=Strategy.ACCEPT,
        rationale="A second five-axis machine costs £480k and would run at 40 % load. Subcontract capacity at "
        "Pennine Machining covers 60 % of the housings for up to eight weeks.",
        review_in=45,
        treatments=(
            Treatment(
                "Agree emergency subcontract capacity with Pennine Machining",
                "owner",
                -10,
                DONE,
                "Framework agreement for up to 400 housings a week at eight weeks' notice, with our fixtures.",
            ),
        ),
    ),
    Entry(
        title="Nonconforming parts reach the customer",
        category=Category.PRODUCT,
        owner="inspection",
        deputies=("inspector",),
        processes=("inspection", "production"),
        objectives=("ppm",),
        status=IN_TREATMENT,
        description="Defective lots escape final inspection and are found at the customer's goods-in or line.",
        cause="Sampling inspection on visual features; first-off and last-off checks not done on every job.",
        consequence="Customer rejects, 8D reports, sorting costs at the customer and a worse supplier rating.",
        inherent=(4, 4),
        residual=(3, 4),
        target=(2, 3),
        controls="First-off inspection signed before release; final inspection to the control plan; "
        "8D on every customer reject.",
        strategy=Strategy.REDUCE,
        review_in=-12,
        reviews=(
            Review(600, 4, 4, "inspection", "Three escapes in one quarter, all burrs on machined faces."),
            Review(330, 3, 4, "quality", "First-off sign-off enforced on all jobs; one escape in two quarters."),
            Review(150, 3, 4, "inspection", "Bracket lot 24-118 escaped with burrs: last-off checks still missing."),
        ),
        treatments=(
            Treatment(
                "Re-brief inspectors on the visual standard for burrs",
                "inspector",
                -130,
                NOT_EFFECTIVE,
                "Boundary samples at each bench and a briefing for every inspector on burrs and sharp edges.",
                note="Burrs escaped again on bracket lot 24-118: briefing alone does not hold; a last-off check "
                "is needed.",
            ),
            Treatment(
                "Last-off CMM check on every critical part",
                "inspection",
                -6,
                IN_PROGRESS,
                "Measure the last part of each job on the CMM before the lot is released, as for the first.",
                kind=ActionKind.CORRECTIVE,
            ),
        ),
    ),
    Entry(
        title="Loss of experienced CNC setters",
        category=Category.PEOPLE,
        owner="hr",
        deputies=("cnc",),
        processes=("hr", "production"),
        objectives=("training", "fpy"),
        status=IN_TREATMENT,
        description="Five setters hold most of the set-up know-how for the five-axis and Mazak machines.",
        cause="Two setters retire within 18 months; setters are hard to recruit in the region.",
        consequence="Longer set-ups, more first-off failures and machines idle for want of a setter.",
        inherent=(4, 3),
        residual=(3, 3),
        target=(2, 2),
        controls="Competence matrix; standard set-up sheets for the main part families.",
        strategy=Strategy.REDUCE,
        review_in=80,
        reviews=(
            Review(420, 4, 3, "hr", "Two setters plan to retire; no one else signed off on the DMU 65."),
            Review(100, 3, 3, "hr", "Cross-training under way: two operators signed off on the Mazaks."),
        ),
        treatments=(
            Treatment(
                "Cross-train two operators per five-axis machine",
                "cnc",
                60,
                IN_PROGRESS,
                "Each trainee sets up under supervision for six weeks, then is signed off by a qualified setter.",
            ),
            Treatment(
                "Record setter know-how in set-up sheets",
                "engineer",
                30,
                OPEN,
                "Photos, offsets and tooling notes for the 20 most-run part numbers.",
            ),
        ),
    ),
    Entry(
        title="Measuring equipment used out of calibration",
        category=Category.INFRASTRUCTURE,
        owner="maint",
        deputies=("inspection",),
        processes=("maintenance", "inspection"),
        objectives=("downtime",),
        status=MONITORED,
        description="Gauges, torque wrenches or the CMM used past their calibration due date.",
        cause="Calibration dates kept on a spreadsheet; gauges lent between cells.",
        consequence="Parts accepted on false readings; recall of lots measured since the last good calibration.",
        inherent=(3, 4),
        residual=(2, 3),
        target=(1, 3),
        controls="Calibration labels; recall list in the ERP with a weekly report; gauges issued from the "
        "quality store.",
        strategy=Strategy.REDUCE,
        review_in=-25,
        reviews=(
            Review(500, 3, 3, "maint", "Three torque wrenches found past due at the internal audit."),
            Review(200, 2, 3, "inspection", "Recall list in the ERP since spring; no overdue gauge found since."),
        ),
        treatments=(
            Treatment(
                "Calibration recall list in the ERP with a weekly report",
                "maint",
                -180,
                EFFECTIVE,
                "Move every gauge into the ERP's equipment module; the weekly report lists what falls due.",
                note="Two audits since found no gauge past its due date; the weekly report is read at the "
                "production meeting.",
            ),
        ),
    ),
    Entry(
        title="Ransomware attack on the ERP and machine network",
        category=Category.INFRASTRUCTURE,
        owner="ops",
        deputies=("planner",),
        processes=("production", "strategy"),
        status=IN_TREATMENT,
        description="An attack encrypts the ERP, the CAM programs and the DNC server.",
        cause="Office and machine networks are not separated; phishing e-mails reach every office account.",
        consequence="No orders, schedules or CNC programs for days; ransom demands and loss of customer data.",
        inherent=(4, 5),
        residual=(4, 4),
        target=(2, 4),
        controls="Firewall and antivirus managed by the IT provider; nightly ERP backups.",
        strategy=Strategy.REDUCE,
        review_in=30,
        treatments=(
            Treatment(
                "Offline backups of ERP and CNC programs, with a tested restore",
                "planner",
                -30,
                DONE,
                "Weekly offline copy kept off site; restore the ERP to a test server once a quarter.",
            ),
            Treatment(
                "Phishing awareness training for all office staff",
                "hr",
                -10,
                IN_PROGRESS,
                "Online course and a simulated phishing e-mail for all 38 office users.",
            ),
            Treatment(
                "Separate the machine network from the office network",
                "ops",
                90,
                OPEN,
                "Firewall between the two networks; CNC programs reach the machines only through the DNC server.",
            ),
        ),
    ),
    Entry(
        title="Customer requirements missed at contract review",
        category=Category.CUSTOMER,
        owner="sales",
        deputies=("service",),
        processes=("sales", "design"),
        objectives=("ppm",),
        status=IN_TREATMENT,
        description="Special requirements (coatings, special processes, packaging) are missed when orders "
        "are accepted.",
        cause="Customer specifications referenced on drawings are not read at order entry.",
        consequence="Parts made to the wrong specification, rework or scrap, and late deliveries.",
        inherent=(3, 4),
        residual=(2, 4),
        target=(1, 4),
        controls="Contract review checklist QP-07; engineering reviews new part numbers.",
        strategy=Strategy.REDUCE,
        review_in=50,
        treatments=(
            Treatment(
                "Engineering sign-off at contract review for new part numbers",
                "sales",
                -120,
                NOT_EFFECTIVE,
                "Sales engineers ask engineering to sign the checklist before confirming a new part number.",
                note="Two orders in the spring still went through without engineering's sign-off: the step is "
                "easy to skip.",
                kind=ActionKind.CORRECTIVE,
            ),
            Treatment(
                "Block order release in the ERP until engineering signs off",
                "planner",
                25,
                OPEN,
                "A mandatory approval step on new part numbers in the order module.",
                kind=ActionKind.CORRECTIVE,
            ),
        ),
    ),
    Entry(
        title="New substance restrictions on coatings (REACH)",
        category=Category.COMPLIANCE,
        owner="quality",
        deputies=("buyer",),
        processes=("purchasing", "design"),
        status=ASSESSED,
        description="Chromate passivation and some anodising sealants used by our platers fall under new "
        "REACH restrictions.",
        cause="Authorisations for hexavalent chromium expire; platers may stop the processes.",
        consequence="Parts without an approved finish; redesign and customer approval of new coatings.",
        inherent=(2, 4),
        residual=(2, 3),
        target=(1, 3),
        controls="Supplier declarations requested at approval; drawings name the finish standard.",
        strategy=Strategy.REDUCE,
        review_in=60,
        treatments=(
            Treatment(
                "Obtain REACH declarations from every coating supplier",
                "buyer",
                35,
                OPEN,
                "Declarations for all finishes we buy, with the platers' plans for restricted substances.",
            ),
        ),
    ),
    Entry(
        title="Energy prices raise the cost of machining",
        category=Category.FINANCE,
        owner="ops",
        processes=("production", "strategy"),
        objectives=("scrap",),
        status=IN_TREATMENT,
        description="Electricity is the largest overhead of the machine hall after labour.",
        cause="Wholesale energy prices are volatile; our contract renews next year.",
        consequence="Margins on fixed-price contracts fall; quotes become uncompetitive if we pass it on late.",
        inherent=(5, 3),
        residual=(4, 3),
        target=(3, 2),
        controls="Fixed-price energy contract; compressors and lighting on timers.",
        strategy=Strategy.TRANSFER,
        review_in=90,
        reviews=(
            Review(450, 5, 3, "ops", "Energy prices doubled over the year; no surcharge clause in our contracts."),
            Review(180, 4, 3, "ops", "Fixed-price contract to the end of next year; surcharge clause drafted."),
        ),
        treatments=(
            Treatment(
                "Fixed-price energy contract for 24 months",
                "ops",
                -200,
                EFFECTIVE,
                "Tender the electricity supply through the broker for a two-year fixed price.",
                note="Contract signed at 18 % below the variable tariff; cost per machine hour stable since.",
            ),
            Treatment(
                "Energy surcharge clause in new quotations",
                "sales",
                20,
                IN_PROGRESS,
                "Index the price of new contracts to the energy price, agreed with the main customers.",
            ),
        ),
    ),
    Entry(
        title="Late deliveries from the machining bottleneck",
        category=Category.CUSTOMER,
        owner="owner",
        deputies=("planner",),
        processes=("production", "delivery", "sales"),
        objectives=("otd",),
        status=IN_TREATMENT,
        description="The machining cell runs at over 90 % load, so any disruption makes orders late.",
        cause="Orders confirmed without checking capacity; set-ups take longer than planned.",
        consequence="On-time delivery below target; expediting costs and penalty clauses with Arden Motors.",
        inherent=(4, 4),
        residual=(3, 3),
        target=(2, 3),
        controls="Daily late-order call; weekly capacity review with sales; finite scheduling in the cell.",
        strategy=Strategy.REDUCE,
        review_in=-5,
        reviews=(
            Review(650, 4, 4, "owner", "On-time delivery fell to 86 %; Arden raised a formal concern."),
            Review(380, 4, 3, "planner", "Finite scheduling live in the machining cell; on-time delivery 91 %."),
            Review(200, 3, 3, "owner", "Weekly capacity review with sales running; on-time delivery 94 %."),
        ),
        treatments=(
            Treatment(
                "Finite scheduling in the machining cell",
                "planner",
                -400,
                EFFECTIVE,
                "Schedule the cell against real machine capacity in the ERP's planning module.",
                note="On-time delivery rose from 86 % to 91 % in the three months after go-live.",
            ),
            Treatment(
                "Weekly capacity review between planning and sales",
                "planner",
                -15,
                DONE,
                "Sales confirms dates only against the capacity the review shows.",
            ),
        ),
    ),
    Entry(
        title="Heat treatment by an unapproved or failing subcontractor",
        category=Category.SUPPLY,
        owner="buyer",
        deputies=("auditor2",),
        processes=("purchasing",),
        objectives=("suppliers", "ppm"),
        status=MONITORED,
        description="Shafts and gears are hardened by two outside heat treaters.",
        cause="A heat treater was used before approval; furnace records are not always checked.",
        consequence="Soft or brittle parts in the field; recall and warranty claims.",
        inherent=(3, 5),
        residual=(2, 4),
        target=(1, 4),
        controls="Approval check at purchase order release; hardness test on every lot at goods-in.",
        strategy=Strategy.REDUCE,
        review_in=100,
        reviews=(
            Review(560, 3, 4, "auditor2", "An unapproved heat treater was used for one batch of shafts."),
            Review(250, 2, 4, "buyer", "Approval check at PO release; both heat treaters audited to CQI-9."),
        ),
        treatments=(
            Treatment(
                "Audit both heat treaters against CQI-9",
                "auditor2",
                -280,
                EFFECTIVE,
                "Process audits of both suppliers, with their furnace surveys and records.",
                note="Both audited; findings closed; no hardness failure at goods-in since.",
            ),
        ),
    ),
    Entry(
        title="Expired adhesives and sealants used in assembly",
        category=Category.PRODUCT,
        owner="assembly",
        processes=("production",),
        status=CLOSED,
        description="Thread-locking adhesive past its shelf life was found at assembly line 1.",
        cause="Consumables not labelled with their expiry date; no first-in, first-out.",
        consequence="Fasteners loosening in service.",
        inherent=(3, 2),
        residual=(1, 2),
        target=(1, 2),
        controls="Shelf-life labels and first-in, first-out at every line.",
        strategy=Strategy.REDUCE,
        treatments=(
            Treatment(
                "Shelf-life labels and first-in, first-out for all consumables",
                "assembly",
                -300,
                EFFECTIVE,
                "Label every adhesive and sealant with its expiry date at goods-in; a weekly check at each line.",
                note="Six months of weekly checks found no expired consumable; closed at the last review.",
            ),
        ),
    ),
    Entry(
        title="Production works to a superseded drawing revision",
        category=Category.PRODUCT,
        owner="design",
        deputies=("engineer",),
        processes=("design", "production"),
        objectives=("fpy",),
        status=IN_TREATMENT,
        description="Paper drawings at the machines are not always replaced when a change is released.",
        cause="Change notices reach the office but not the shop floor copies.",
        consequence="A whole batch machined to the old revision: scrap, rework and late delivery.",
        inherent=(3, 4),
        residual=(2, 4),
        target=(1, 4),
        controls="Change notices issued by engineering; drawing revision checked at first-off inspection.",
        strategy=Strategy.REDUCE,
        review_in=20,
        reviews=(
            Review(400, 3, 4, "design", "A batch of SA-20 brackets made to revision C instead of D."),
            Review(160, 2, 4, "engineer", "Revision checked at first-off; ERP viewer trial at two machines."),
        ),
        treatments=(
            Treatment(
                "Read-and-sign change notices for setters",
                "cnc",
                -200,
                CANCELLED,
                "Setters sign each change notice before the next job.",
            ),
            Treatment(
                "Drawings only from the ERP viewer at the machines",
                "engineer",
                -20,
                IN_PROGRESS,
                "Screens at every machine show the released revision; paper copies withdrawn.",
            ),
        ),
    ),
    Entry(
        title="Compressed air failure stops the machine hall",
        category=Category.INFRASTRUCTURE,
        owner="maint",
        processes=("maintenance", "production"),
        objectives=("downtime",),
        status=MONITORED,
        description="All machining centres and assembly tools run on one compressor.",
        cause="Compressor failure; no standby unit.",
        consequence="The whole hall stops until the compressor is repaired.",
        inherent=(2, 4),
        residual=(1, 4),
        target=(1, 4),
        controls="Service contract with 4-hour response and a rental compressor on call.",
        strategy=Strategy.TRANSFER,
        review_in=120,
        treatments=(
            Treatment(
                "Service contract with 4-hour response and a rental compressor",
                "maint",
                -150,
                EFFECTIVE,
                "Contract with the compressor supplier, with a rental unit delivered within a shift.",
                note="Tested at the summer shutdown: rental unit connected and running in three hours.",
            ),
        ),
    ),
    Entry(
        title="Fire in the machine hall",
        category=Category.INFRASTRUCTURE,
        owner="ops",
        processes=("production", "maintenance"),
        status=MONITORED,
        description="Fire starting at a machine (oil mist, swarf) or in the coolant store.",
        cause="Oil mist and fine swarf; hot work during maintenance.",
        consequence="Loss of machines and months of output; injury.",
        inherent=(1, 5),
        residual=(1, 4),
        target=(1, 4),
        controls="Sprinklers; extraction on every machine; hot-work permits; insurance including business "
        "interruption.",
        strategy=Strategy.TRANSFER,
        review_in=200,
    ),
    Entry(
        title="Internal audit programme not completed",
        category=Category.COMPLIANCE,
        owner="quality",
        deputies=("auditor",),
        processes=("improvement",),
        status=MONITORED,
        description="Processes go unaudited because the two internal auditors lack time.",
        cause="Auditors have other roles; audits slip at busy times.",
        consequence="Problems found late; a nonconformity at the certification audit.",
        inherent=(3, 3),
        residual=(2, 2),
        target=(2, 2),
        controls="Audit programme reviewed at management review; audits planned a quarter ahead.",
        strategy=Strategy.REDUCE,
        review_in=-40,
        treatments=(
            Treatment(
                "Qualify two team leaders as internal auditors",
                "quality",
                50,
                IN_PROGRESS,
                "Two-day course and two shadow audits each.",
            ),
        ),
    ),
    Entry(
        title="Major nonconformity at the ISO 9001 surveillance audit",
        category=Category.COMPLIANCE,
        owner="quality",
        processes=("review", "improvement"),
        status=MONITORED,
        description="A major nonconformity would put the certificate, and the customers that require it, at risk.",
        cause="Gaps in calibration, competence or action records.",
        consequence="Suspension of the certificate; Arden Motors requires ISO 9001 of its suppliers.",
        inherent=(2, 5),
        residual=(1, 5),
        target=(1, 5),
        controls="Internal audits of every process each year; management review twice a year.",
        strategy=Strategy.REDUCE,
        review_in=120,
        reviews=(
            Review(690, 2, 5, "quality", "Major nonconformity on calibration at the last surveillance audit."),
            Review(330, 1, 5, "quality", "Nonconformity closed; no findings at this year's surveillance audit."),
            Review(60, 1, 5, "quality", "Recertification audit booked; preparation on track."),
        ),
        treatments=(
            Treatment(
                "Close the calibration nonconformity from the surveillance audit",
                "maint",
                -300,
                EFFECTIVE,
                "Root cause, correction and evidence to the certification body within 90 days.",
                note="The certification body accepted the evidence and closed the nonconformity.",
                kind=ActionKind.CORRECTIVE,
            ),
        ),
    ),
    Entry(
        title="Slow complaint handling loses customer confidence",
        category=Category.CUSTOMER,
        owner="service",
        deputies=("sales",),
        processes=("service",),
        objectives=("satisfaction",),
        status=IN_TREATMENT,
        description="Customers wait longer than ten days for our containment response to a complaint.",
        cause="One person triages complaints; no cover during leave.",
        consequence="Lower satisfaction scores; customers escalate to our management or move work.",
        inherent=(4, 3),
        residual=(4, 3),
        target=(2, 3),
        controls="Complaint procedure QP-19; response time reported monthly.",
        strategy=Strategy.REDUCE,
        review_in=45,
        reviews=(
            Review(300, 3, 3, "service", "Average response 11 days against 10."),
            Review(45, 4, 3, "service", "Response time up to 13–14 days for three months; no cover during leave."),
        ),
        treatments=(
            Treatment(
                "Weekly complaint ageing report to the Operations Director",
                "service",
                -4,
                OPEN,
                "Every open complaint with its age and next step, reviewed each Monday.",
            ),
            Treatment(
                "Train a second person in 8D containment",
                "inspector",
                20,
                OPEN,
                "Cover for the customer service lead for triage and the first 8D steps.",
            ),
        ),
    ),
    Entry(
        title="Scrap on turned shafts stays above target",
        category=Category.PRODUCT,
        owner="engineer",
        deputies=("owner",),
        processes=("production",),
        objectives=("scrap", "fpy"),
        status=IN_TREATMENT,
        description="Scrap on turned shafts runs at about 4 % against 1.5 % for the plant.",
        cause="Tool wear on the Mazak lathes goes unnoticed until parts are out of tolerance.",
        consequence="Cost of poor quality, lost machine hours and late deliveries.",
        inherent=(5, 3),
        residual=(4, 3),
        target=(2, 3),
        controls="In-process gauging every tenth part; tool changes at fixed counts.",
        strategy=Strategy.REDUCE,
        review_in=30,
        treatments=(
            Treatment(
                "Tool-life monitoring on the Mazak lathes",
                "engineer",
                40,
                IN_PROGRESS,
                "Spindle-load monitoring changes the tool before it wears out of tolerance.",
            ),
        ),
    ),
    Entry(
        title="Price rises on carbide cutting tools",
        category=Category.FINANCE,
        owner="buyer",
        processes=("purchasing", "production"),
        status=MONITORED,
        description="Carbide inserts and drills have risen in price twice this year.",
        cause="Tungsten and cobalt prices.",
        consequence="Tooling cost up by about £25k a year.",
        inherent=(3, 2),
        residual=(3, 2),
        target=(3, 2),
        controls="Framework agreement with the main tooling supplier; regrinding of solid drills.",
        strategy=Strategy.ACCEPT,
        rationale="Tooling is 3 % of cost; the framework agreement caps increases at 6 % a year.",
        review_in=90,
    ),
    Entry(
        title="Exchange-rate movements on euro purchases",
        category=Category.FINANCE,
        owner="ops",
        processes=("purchasing",),
        status=MONITORED,
        description="About 15 % of material and tooling is bought in euros.",
        cause="Movements of the pound against the euro.",
        consequence="Material cost a few percent higher in a bad year.",
        inherent=(2, 2),
        residual=(2, 2),
        target=(2, 2),
        controls="Prices reviewed at each quotation.",
        strategy=Strategy.ACCEPT,
        review_in=180,
    ),
    Entry(
        title="False or unapproved material certificates",
        category=Category.SUPPLY,
        owner="inspection",
        processes=("purchasing", "inspection"),
        status=IDENTIFIED,
        description="A stockholder's certificate did not match the heat number on the bar; the material "
        "may not be what was ordered.",
        cause="Stockholders re-issue mill certificates; certificates are checked for presence, not content.",
        consequence="Parts made from the wrong material.",
        review_in=14,
    ),
    Entry(
        title="Arden Motors moves to electric drivetrains",
        category=Category.STRATEGY,
        owner="lead",
        processes=("strategy", "design"),
        status=IDENTIFIED,
        description="Arden's new platforms need no gearbox housings of the kind we make today.",
        cause="The move to electric vehicles.",
        consequence="Housing volumes fall from 2028.",
        review_in=21,
    ),
    Entry(
        title="Quoting aerospace work without AS9100",
        category=Category.COMPLIANCE,
        owner="sales",
        processes=("sales",),
        status=CLOSED,
        description="Enquiries for aerospace brackets need AS9100 and customer-approved special processes.",
        cause="Sales wants to fill the five-axis cell with aerospace work.",
        consequence="Work accepted that we are not approved for; escapes with safety consequences.",
        inherent=(3, 4),
        residual=(1, 4),
        target=(1, 4),
        controls="Decision of the management review: no aerospace quotations until AS9100 is in place.",
        strategy=Strategy.AVOID,
    ),
]

OPPORTUNITIES = [
    Entry(
        kind=OPPORTUNITY,
        title="Rail-sector customers for five-axis housings",
        category=Category.CUSTOMER,
        owner="sales",
        deputies=("design",),
        processes=("sales", "strategy"),
        objectives=("otd",),
        status=IN_TREATMENT,
        description="Rail rolling-stock makers buy housings like ours in lower volumes at better margins.",
        cause="UK rail fleet renewals; customers want local suppliers.",
        consequence="New customers outside automotive, less dependence on Arden Motors.",
        inherent=(2, 4),
        residual=(3, 4),
        target=(4, 4),
        controls="Rail enquiries handled by a named sales engineer.",
        strategy=Strategy.PURSUE,
        review_in=60,
        reviews=(
            Review(500, 2, 4, "sales", "First enquiry from Northline Rail."),
            Review(200, 3, 4, "sales", "Two trial orders delivered on time; Northline asks for ISO 22163."),
        ),
        treatments=(
            Treatment(
                "Show a five-axis demonstrator part at Railtex",
                "sales",
                -220,
                EFFECTIVE,
                "Stand space with the cluster; demonstrator housing and capability sheet.",
                note="Eleven enquiries at the show; two turned into trial orders.",
            ),
            Treatment(
                "ISO 22163 gap analysis",
                "quality",
                90,
                OPEN,
                "What the rail standard adds to our ISO 9001 system, and its cost.",
            ),
        ),
    ),
    Entry(
        kind=OPPORTUNITY,
        title="SPC on critical features to cut final inspection",
        category=Category.PRODUCT,
        owner="inspection",
        deputies=("engineer",),
        processes=("inspection", "production"),
        objectives=("fpy", "ppm"),
        status=IN_TREATMENT,
        description="Capable features under SPC could move from 100 % final inspection to sampling.",
        cause="Machines are capable on most critical bores; data already collected at the machines.",
        consequence="About 300 inspection hours a year saved and problems caught at the machine.",
        inherent=(3, 3),
        residual=(4, 3),
        target=(4, 4),
        strategy=Strategy.ENHANCE,
        review_in=40,
        treatments=(
            Treatment(
                "SPC pilot on the critical bores at Mazak 2",
                "engineer",
                25,
                IN_PROGRESS,
                "Control charts at the machine for three part numbers; capability study after 25 subgroups.",
            ),
        ),
    ),
    Entry(
        kind=OPPORTUNITY,
        title="Solar panels on the machine hall roof",
        category=Category.FINANCE,
        owner="ops",
        processes=("maintenance",),
        status=ASSESSED,
        description="The 2,400 m² roof faces south and carries no plant.",
        cause="Energy prices; grants for manufacturers.",
        consequence="About 20 % of our electricity generated on site; lower cost per part.",
        inherent=(3, 3),
        residual=(3, 3),
        target=(4, 3),
        strategy=Strategy.PURSUE,
        review_in=30,
        treatments=(
            Treatment(
                "Three quotes for a 250 kWp rooftop installation",
                "maint",
                35,
                OPEN,
                "Including a roof survey and the grant application.",
            ),
        ),
    ),
    Entry(
        kind=OPPORTUNITY,
        title="Apprenticeships with Leeds College",
        category=Category.PEOPLE,
        owner="hr",
        deputies=("owner",),
        processes=("hr", "production"),
        objectives=("training",),
        status=MONITORED,
        description="An apprenticeship scheme for CNC machinists with the local college.",
        cause="Setters retiring; the college has a new advanced manufacturing centre.",
        consequence="Our own pipeline of machinists and setters.",
        inherent=(3, 4),
        residual=(4, 4),
        target=(4, 4),
        controls="Mentor for each apprentice; progress reviewed each term with the college.",
        strategy=Strategy.PURSUE,
        review_in=-8,
        reviews=(
            Review(620, 3, 4, "hr", "College agreed to a scheme for two apprentices a year."),
            Review(280, 4, 4, "hr", "First four apprentices started; all still with us after a year."),
        ),
        treatments=(
            Treatment(
                "Partnership agreement with Leeds College",
                "hr",
                -500,
                EFFECTIVE,
                "Agree the scheme, funding and mentors with the college.",
                note="Agreement signed; four apprentices recruited in the first intake.",
            ),
        ),
    ),
    Entry(
        kind=OPPORTUNITY,
        title="Share a vacuum furnace with a neighbouring firm",
        category=Category.SUPPLY,
        owner="buyer",
        processes=("purchasing",),
        status=ASSESSED,
        description="Castleford Gears plans a vacuum furnace and offers shared capacity.",
        cause="Both firms send hardening out, with long lead times.",
        consequence="Heat-treatment lead time down from ten days to two.",
        inherent=(2, 3),
        residual=(2, 3),
        target=(3, 3),
        strategy=Strategy.SHARE,
        review_in=75,
    ),
    Entry(
        kind=OPPORTUNITY,
        title="3D-printed assembly fixtures",
        category=Category.PRODUCT,
        owner="engineer",
        processes=("design", "production"),
        objectives=("fpy",),
        status=IN_TREATMENT,
        description="Print assembly and inspection fixtures in-house instead of machining them.",
        cause="The additive manufacturing pilot; cheap industrial printers.",
        consequence="Fixtures in days instead of weeks; poka-yoke features that are hard to machine.",
        inherent=(3, 2),
        residual=(4, 2),
        target=(4, 3),
        strategy=Strategy.ENHANCE,
        review_in=50,
        treatments=(
            Treatment(
                "Print and trial three assembly fixtures",
                "assembly",
                30,
                IN_PROGRESS,
                "Fixtures for SA-20 and two other sub-assemblies, trialled for a month on line 2.",
            ),
        ),
    ),
    Entry(
        kind=OPPORTUNITY,
        title="Customer portal for order status",
        category=Category.CUSTOMER,
        owner="service",
        processes=("service", "sales"),
        objectives=("satisfaction",),
        status=CLOSED,
        description="Customers check order status and certificates online instead of calling.",
        cause="Customers ask for it in the satisfaction survey.",
        consequence="Fewer status calls; better satisfaction scores.",
        inherent=(2, 2),
        residual=(2, 2),
        target=(3, 3),
        controls="Weekly order status e-mail to key accounts.",
        strategy=Strategy.DECLINE,
        treatments=(
            Treatment(
                "Scope a customer portal with the ERP vendor",
                "service",
                -60,
                CANCELLED,
                "Cancelled: the vendor's portal costs more than it would save; revisit with the group ERP.",
            ),
        ),
    ),
    Entry(
        kind=OPPORTUNITY,
        title="Remanufacturing worn housings for the Arden aftermarket",
        category=Category.STRATEGY,
        owner="lead",
        deputies=("sales",),
        processes=("strategy", "production"),
        status=IDENTIFIED,
        description="Arden's aftermarket arm asks whether we could re-machine returned gearbox housings.",
        cause="Remanufacturing targets in Arden's sustainability plan.",
        consequence="Work for the five-axis cell as new-housing volumes fall.",
        review_in=21,
    ),
]

ENTRIES = RISKS + OPPORTUNITIES


def seed_risks(demo) -> dict[str, int]:
    """The risks and opportunities, their treatments and reviews; returns what was made, by kind."""
    made = {"risks": 0, "opportunities": 0, "treatments": 0, "reviews": 0}
    for entry in ENTRIES:
        risk = _seed_risk(demo, entry)
        made["treatments"] += _seed_treatments(demo, risk, entry)
        made["reviews"] += _seed_reviews(demo, risk, entry)
        _settle(demo, risk, entry)
        made["opportunities" if risk.is_opportunity else "risks"] += 1
    return made


def _seed_risk(demo, entry: Entry) -> Risk:
    if entry.reviews and (entry.reviews[-1].likelihood, entry.reviews[-1].impact) != entry.residual:
        raise ValueError(f"{entry.title}: the latest review must give the residual scores.")
    # A reviewed risk starts from the scores of its first review, which the later ones move.
    first = entry.reviews[0] if entry.reviews else None
    residual = (first.likelihood, first.impact) if first else entry.residual
    owner = demo.people[entry.owner]
    risk = Risk(
        kind=entry.kind,
        title=entry.title,
        description=entry.description,
        cause=entry.cause,
        consequence=entry.consequence,
        category=entry.category,
        status=ASSESSED if entry.approved_by else entry.status,  # monitored once the acceptance is approved
        next_review_date=_days(demo, -first.days_ago) if first else _next_review(demo, entry),
        controls=entry.controls,
        strategy=entry.strategy,
        acceptance_rationale=entry.rationale,
        owner=owner,
        created_by=owner,
        updated_by=owner,
    )
    for stage, levels in (("inherent", entry.inherent), ("residual", residual), ("target", entry.target)):
        setattr(risk, f"{stage}_likelihood", levels[0] if levels else None)
        setattr(risk, f"{stage}_impact", levels[1] if levels else None)
    risk.full_clean(exclude=["reference"])  # assigned on save
    risk._history_user = owner
    risk.save()
    risk.processes.set([demo.processes[key] for key in entry.processes])
    risk.objectives.set([demo.objectives[key] for key in entry.objectives])
    risk.deputies.set([demo.people[key] for key in entry.deputies])
    return risk


def _seed_treatments(demo, risk: Risk, entry: Entry) -> int:
    """Actions raised from the risk, linked and with its processes, as the risk page's link raises them."""
    processes = list(risk.processes.all())
    default_kind = ActionKind.IMPROVEMENT if risk.is_opportunity else ActionKind.PREVENTIVE
    for treatment in entry.treatments:
        action = Action(
            title=treatment.title,
            description=treatment.description,
            kind=treatment.kind or default_kind,
            owner=demo.people[treatment.owner],
            due_date=_days(demo, treatment.due_in),
            created_by=risk.owner,
            updated_by=risk.owner,
        )
        action.source = risk
        action.full_clean(exclude=["reference"])
        action._history_user = risk.owner
        action.save()
        action.processes.set(processes)
        _walk(demo, action, treatment)
    return len(entry.treatments)


PATHS = {
    OPEN: [],
    IN_PROGRESS: [IN_PROGRESS],
    DONE: [IN_PROGRESS, DONE],
    EFFECTIVE: [IN_PROGRESS, DONE],
    NOT_EFFECTIVE: [IN_PROGRESS, DONE],
    CANCELLED: [CANCELLED],
}


def _walk(demo, action: Action, treatment: Treatment) -> None:
    """Walk an action along its lifecycle as its people would, finished a little before it was due
    and checked some weeks later."""
    for step in PATHS[treatment.status]:
        action.move_to(step)
        if step == DONE:
            action.completed_on = min(action.due_date, demo.today) - timedelta(days=2)
        action._history_user = action.owner
        action.save()
    if treatment.status in ActionStatus.verified():
        checker = demo.people["auditor" if action.owner == demo.people["quality"] else "quality"]
        action.record_effectiveness(effective=treatment.status == EFFECTIVE, by=checker, note=treatment.note)
        checked_on = min(action.completed_on + timedelta(days=42), demo.today)
        action.verified_at = min(timezone.make_aware(datetime.combine(checked_on, time(10))), timezone.now())
        action.full_clean()
        action._history_user = checker
        action.save()


def _seed_reviews(demo, risk: Risk, entry: Entry) -> int:
    """The reviews, oldest first, through the review service: each one's scores become the risk's."""
    for index, review in enumerate(entry.reviews):
        later = entry.reviews[index + 1 :]
        reviewer = demo.people[review.reviewer]
        with _acting_as(reviewer):
            services.risk_review_record(
                risk=risk,
                user=reviewer,
                likelihood=review.likelihood,
                impact=review.impact,
                note=review.note,
                # Planned for the day the next review took place; the latest plans the risk's next review.
                next_review_date=_days(demo, -later[0].days_ago) if later else _next_review(demo, entry),
                reviewed_on=_days(demo, -review.days_ago),
            )
    return len(entry.reviews)


def _settle(demo, risk: Risk, entry: Entry) -> None:
    """Leadership approves the acceptance where the entry says so; then the risk takes its status."""
    risk = Risk.objects.get(pk=risk.pk)  # as the reviews left it, loaded afresh as a page would load it
    if entry.approved_by:
        approver = demo.people[entry.approved_by]
        risk._history_user = approver
        with _acting_as(approver):
            risk = services.risk_approve_acceptance(risk=risk, user=approver)
    if risk.status != entry.status:
        risk.status = entry.status
        risk.full_clean()
        risk.updated_by = risk._history_user = risk.owner
        risk._change_reason = None  # not the approval's
        risk.save()


@contextmanager
def _acting_as(user) -> Iterator[None]:
    """Run a service as if `user` called it from a page: the history and `updated_by` take the user
    from the request that the history middleware exposes, so stand one in for the duration."""
    HistoricalRecords.context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        del HistoricalRecords.context.request


def _days(demo, days: int) -> date:
    return demo.today + timedelta(days=days)


def _next_review(demo, entry: Entry) -> date | None:
    return None if entry.review_in is None else _days(demo, entry.review_in)
