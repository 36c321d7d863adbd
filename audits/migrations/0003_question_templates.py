"""Checklist questions for every clause of ISO 9001:2015, in the product's own words (never the
standard's text): what an auditor asks to see, and what to look at. Quality managers change them
in the admin; an audit's checklist copies those of the clauses in its scope."""

from django.db import migrations

QUESTIONS = {
    "4.1": [
        ("Which internal and external issues shape what the organisation can achieve, and when were they last looked at?",
         "A dated list of issues, how it is kept current, and a decision it led to."),
    ],
    "4.2": [
        ("Who has a stake in the quality of our products, and what do they expect?",
         "Customers, regulators, owners, staff, suppliers; how their needs reach planning."),
    ],
    "4.3": [
        ("What does the QMS cover, and is anything left out? Why?",
         "The scope statement, sites and products, and the reasoning for any exclusion."),
    ],
    "4.4": [
        ("Is the process described as it is run: inputs, outputs, sequence, owner, resources, measures?",
         "Compare the process page with what people do; check the hand-offs on both sides."),
        ("How does the owner know the process works, and what has been changed because of it?",
         "KPIs reviewed, actions raised and closed, changes made this year."),
    ],
    "5.1": [
        ("How does top management take part in the QMS, beyond signing documents?",
         "Minutes of reviews, decisions, resources given, objectives followed up."),
    ],
    "5.2": [
        ("Is the quality policy current, known and available to those who need it?",
         "Ask two or three people what it means for their work."),
    ],
    "5.3": [
        ("Does everyone know who is responsible for what in this area, and who may decide?",
         "Owners and deputies named on the records; who stands in when they are away."),
    ],
    "6.1": [
        ("Which risks and opportunities were found for this area, and what is done about them?",
         "The register, scores, controls in place, treatment actions and their effectiveness."),
    ],
    "6.2": [
        ("Which quality objectives apply here, how are they measured, and are they on track?",
         "Targets, owners, deadlines, the latest values and what is done when behind."),
    ],
    "6.3": [
        ("How was the last significant change to the QMS planned and carried out?",
         "Purpose, consequences considered, resources, who was responsible."),
    ],
    "7.1": [
        ("Are the people, equipment, environment and measuring devices needed here available and fit?",
         "Capacity, maintenance and calibration records, traceability of gauges."),
    ],
    "7.2": [
        ("How is it known that the people doing this work are competent for it?",
         "Skills needed per role, training records, how gaps are closed and checked."),
    ],
    "7.3": [
        ("Do people know the policy, the objectives that concern them and the effect of their work?",
         "Short conversations at the workplace."),
    ],
    "7.4": [
        ("What is communicated about quality, to whom, when and how?",
         "Meetings, boards, notices; a recent example that reached the shop floor."),
    ],
    "7.5": [
        ("Are the documents used here current, approved and protected, and the records kept as planned?",
         "Version at the workplace against the released one; retention and access to records."),
    ],
    "8.1": [
        ("How is the work planned and controlled so that requirements are met?",
         "Plans, criteria, capacity, and how changes to the plan are handled."),
    ],
    "8.2": [
        ("How are customer requirements agreed before we commit, and changes handled?",
         "Contract or order review records; an amended order followed through."),
    ],
    "8.3": [
        ("How is design planned, reviewed, verified and validated, and its changes controlled?",
         "Design stages, review records, verification results, change log."),
    ],
    "8.4": [
        ("How are suppliers chosen, monitored and re-evaluated, and their deliveries checked?",
         "Approved supplier list, ratings, incoming inspection, what happens with a bad delivery."),
    ],
    "8.5": [
        ("Is production or service carried out under controlled conditions, with identification and traceability?",
         "Work instructions at hand, process parameters, labels, the trace of one part or order."),
        ("How is customer property and product preserved during the work?",
         "Storage, handling, packaging; what is done when something is damaged."),
    ],
    "8.6": [
        ("Who releases products or services, against what evidence, and is that recorded?",
         "Release records for a sample of recent deliveries."),
    ],
    "8.7": [
        ("How are nonconforming outputs identified, kept apart and dealt with?",
         "Quarantine area, nonconformity records, concessions, rework checks."),
    ],
    "9.1": [
        ("What is measured, how often, and what is done with the results?",
         "KPI definitions, values, analysis, and actions raised from them."),
        ("How is customer satisfaction followed?", "Surveys, complaints, delivery and quality ratings from customers."),
    ],
    "9.2": [
        ("Is the audit programme based on the importance of processes, their risks and past results?",
         "Intervals per process, audits held as planned, findings followed up."),
    ],
    "9.3": [
        ("Does management review cover all its inputs and lead to decisions that are followed up?",
         "Last review's record, its decisions and their status today."),
    ],
    "10.1": [
        ("How are opportunities for improvement found and acted on here?",
         "Suggestions, improvement actions, results of changes."),
    ],
    "10.2": [
        ("When something went wrong, was it corrected, its root cause found and the fix shown to work?",
         "A sample of nonconformities: containment, cause analysis, actions, effectiveness review."),
    ],
    "10.3": [
        ("Is there evidence that the QMS gets better over time?", "Trends of KPIs, fewer repeat findings, closed actions."),
    ],
}


def add_questions(apps, schema_editor):
    QuestionTemplate = apps.get_model("audits", "QuestionTemplate")
    QuestionTemplate.objects.bulk_create(
        QuestionTemplate(clause=clause, text=text, guidance=guidance, order=order)
        for clause, questions in QUESTIONS.items()
        for order, (text, guidance) in enumerate(questions, start=1)
    )


def remove_questions(apps, schema_editor):
    QuestionTemplate = apps.get_model("audits", "QuestionTemplate")
    QuestionTemplate.objects.filter(text__in=[text for qs in QUESTIONS.values() for text, _ in qs]).delete()


class Migration(migrations.Migration):
    dependencies = [("audits", "0002_initial")]

    operations = [migrations.RunPython(add_questions, remove_questions)]
