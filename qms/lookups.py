"""`pk__in` with an id no integer column can hold (2**64, typed into a form or a filter) matches
nothing, as Django already makes `exact` do, instead of failing: SQLite cannot even bind such a
number (OverflowError, a server error). Every multi-select of the forms and filters checks its ids
with an `__in` query, so this one rule turns them into "Select a valid choice" everywhere."""

from django.db.models import IntegerField
from django.db.models.lookups import In


@IntegerField.register_lookup
class IntegerIn(In):
    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(self.lhs.output_field.get_internal_type())
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int) or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)
