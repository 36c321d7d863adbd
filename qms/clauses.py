"""The clauses of ISO 9001:2015 that records, checklists and evidence packs are indexed by.

Numbers and titles are facts; nothing of the standard's text is here. What each clause asks a QMS
to show is said in the product's own words where it is used (checklist prompts, pack sections).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Clause(models.TextChoices):
    CONTEXT = "4.1", _("4.1 Understanding the organization and its context")
    INTERESTED_PARTIES = "4.2", _("4.2 Needs and expectations of interested parties")
    SCOPE = "4.3", _("4.3 Scope of the quality management system")
    PROCESSES = "4.4", _("4.4 Quality management system and its processes")
    LEADERSHIP = "5.1", _("5.1 Leadership and commitment")
    POLICY = "5.2", _("5.2 Quality policy")
    ROLES = "5.3", _("5.3 Roles, responsibilities and authorities")
    RISKS = "6.1", _("6.1 Actions to address risks and opportunities")
    OBJECTIVES = "6.2", _("6.2 Quality objectives and planning to achieve them")
    CHANGES = "6.3", _("6.3 Planning of changes")
    RESOURCES = "7.1", _("7.1 Resources")
    COMPETENCE = "7.2", _("7.2 Competence")
    AWARENESS = "7.3", _("7.3 Awareness")
    COMMUNICATION = "7.4", _("7.4 Communication")
    DOCUMENTED_INFORMATION = "7.5", _("7.5 Documented information")
    OPERATIONAL_PLANNING = "8.1", _("8.1 Operational planning and control")
    REQUIREMENTS = "8.2", _("8.2 Requirements for products and services")
    DESIGN = "8.3", _("8.3 Design and development of products and services")
    EXTERNAL_PROVIDERS = "8.4", _("8.4 Control of externally provided processes, products and services")
    PRODUCTION = "8.5", _("8.5 Production and service provision")
    RELEASE = "8.6", _("8.6 Release of products and services")
    NONCONFORMING_OUTPUTS = "8.7", _("8.7 Control of nonconforming outputs")
    MONITORING = "9.1", _("9.1 Monitoring, measurement, analysis and evaluation")
    INTERNAL_AUDIT = "9.2", _("9.2 Internal audit")
    MANAGEMENT_REVIEW = "9.3", _("9.3 Management review")
    IMPROVEMENT = "10.1", _("10.1 Improvement: general")
    CORRECTIVE_ACTION = "10.2", _("10.2 Nonconformity and corrective action")
    CONTINUAL_IMPROVEMENT = "10.3", _("10.3 Continual improvement")

    @classmethod
    def sort_key(cls, code: str) -> tuple[int, ...]:
        """Clauses in the standard's order: 9.3 before 10.1, which a text sort would not give."""
        return tuple(int(part) for part in code.split("."))

    @classmethod
    def valid(cls, codes) -> list[str]:
        """The known clause codes among `codes`, each once, in the standard's order."""
        return sorted({code for code in codes if code in cls.values}, key=cls.sort_key)
