"""Formulas of calculated KPIs, such as `KPI-012 / KPI-013 * 100` or `sum(KPI-020) / 3`.

A formula is parsed with Python's `ast` module into a tree we check node by node (never eval): it
may hold numbers, KPI references, + - * / and brackets, and aggregates of one KPI over the period
(sum, avg, min, max, count). The checked tree compiles into a database expression, so a whole KPI's
history recalculates in one set-based query.
"""

import ast
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db.models import Avg, Count, DecimalField, ExpressionWrapper, F, Func, Max, Min, Q, Sum, Value
from django.db.models.functions import NullIf, Round
from django.utils.translation import gettext as _

REFERENCE = re.compile(r"\bKPI-(\d+)\b")
REFERENCE_BACK = re.compile(r"\bKPI_(\d+)\b")
AGGREGATES = {"sum": Sum, "avg": Avg, "min": Min, "max": Max, "count": Count}
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
DECIMAL = DecimalField(max_digits=24, decimal_places=6)
RESULT_PLACES = 4
# A stored value has 16 digits before the point (max_digits 20, 4 places); a result beyond is not stored.
RESULT_LIMIT = Decimal(10) ** 16
# Beyond these a formula is not a KPI any more, and deep nesting would exhaust Python's recursion.
MAX_FORMULA_TERMS = 60
MAX_FORMULA_DEPTH = 25
CONSTANT_LIMIT = 1e12


@dataclass(frozen=True)
class Term:
    """One use of another KPI in a formula: its value for the same period, or an aggregate of its
    values inside the period (aggregate is then sum, avg, min, max or count)."""

    reference: str
    aggregate: str | None = None

    @property
    def alias(self) -> str:
        return f"{self.reference.replace('-', '_').lower()}_{self.aggregate or 'value'}"


class Formula:
    def __init__(self, text: str):
        self.text = text.strip()
        if not self.text:
            raise ValidationError(_("A calculated KPI needs a formula."))
        try:
            self.tree = ast.parse(REFERENCE.sub(r"KPI_\1", self.text), mode="eval").body
        except (SyntaxError, RecursionError, MemoryError):
            raise ValidationError(
                _("The formula cannot be read. Check the brackets and operators, e.g. KPI-012 / KPI-013 * 100.")
            ) from None
        self.terms: set[Term] = set()
        self._check_size()
        self._check(self.tree)

    @property
    def references(self) -> set[str]:
        return {term.reference for term in self.terms}

    def _check_size(self) -> None:
        nodes = list(ast.walk(self.tree))
        if len(nodes) > MAX_FORMULA_TERMS * 3 or _depth(self.tree) > MAX_FORMULA_DEPTH:
            raise ValidationError(
                _("The formula is too long or too deeply nested. Split it into intermediate calculated KPIs.")
            )

    def _check(self, node: ast.AST) -> None:
        match node:
            case ast.BinOp(op=op) if type(op) in OPERATORS:
                self._check(node.left)
                self._check(node.right)
            case ast.UnaryOp(op=ast.USub() | ast.UAdd()):
                self._check(node.operand)
            case ast.Constant(value=value) if type(value) in (int, float) and abs(value) < CONSTANT_LIMIT:
                pass
            case ast.Constant(value=value) if type(value) in (int, float):
                raise ValidationError(_("Numbers in a formula must be below a million million."))
            case ast.Name(id=name) if name.startswith("KPI_"):
                self.terms.add(Term(_reference(name)))
            case ast.Call(func=ast.Name(id=function), args=[ast.Name(id=name)], keywords=[]) if (
                function in AGGREGATES and name.startswith("KPI_")
            ):
                self.terms.add(Term(_reference(name), function))
            case ast.Call(func=ast.Name(id=function)) if function in AGGREGATES:
                raise ValidationError(
                    _("%(function)s() takes one KPI reference, e.g. %(function)s(KPI-012).") % {"function": function}
                )
            case _:
                raise ValidationError(
                    _(
                        "“%(part)s” is not allowed in a formula. Use numbers, KPI references, + - * / and "
                        "brackets, and sum(), avg(), min(), max() or count() of a KPI."
                    )
                    % {"part": REFERENCE_BACK.sub(r"KPI-\1", ast.unparse(node))}
                )

    def expression(self):
        """The formula as a database expression over the aggregated terms (see Term.alias). A
        division by zero gives no value (NULL), never an error."""
        return ExpressionWrapper(Round(self._compile(self.tree), RESULT_PLACES), output_field=DECIMAL)

    def _compile(self, node: ast.AST):
        match node:
            case ast.BinOp(op=ast.Div()):
                return Divide(self._compile(node.left), self._compile(node.right))
            case ast.BinOp():
                left, right = self._compile(node.left), self._compile(node.right)
                combined = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}[type(node.op)]
                return ExpressionWrapper(combined, output_field=DECIMAL)
            case ast.UnaryOp(op=ast.USub()):
                return ExpressionWrapper(Value(Decimal(-1)) * self._compile(node.operand), output_field=DECIMAL)
            case ast.UnaryOp():
                return self._compile(node.operand)
            case ast.Constant(value=value):
                return Value(Decimal(str(value)), output_field=DECIMAL)
            case ast.Name(id=name):
                return F(Term(_reference(name)).alias)
            case ast.Call(func=ast.Name(id=function), args=[ast.Name(id=name)]):
                return F(Term(_reference(name), function).alias)
        raise AssertionError("unchecked formula node")  # _check admitted nothing else

    def sql(self, term_sql) -> str:
        """The formula as SQL text, the same computation as expression() (tests compare them), with
        each term written by `term_sql(term)`: the recalculation of many KPIs in one statement
        (objectives.recalculation) puts their terms in columns. Numbers are written out: the checked
        tree holds no other text."""
        return f"ROUND({self._sql(self.tree, term_sql)}, {RESULT_PLACES})"

    def _sql(self, node: ast.AST, term_sql) -> str:
        match node:
            case ast.BinOp(op=ast.Div()):
                return f"({self._sql(node.left, term_sql)} / NULLIF({self._sql(node.right, term_sql)}, 0))"
            case ast.BinOp():
                operator = OPERATORS[type(node.op)]
                return f"({self._sql(node.left, term_sql)} {operator} {self._sql(node.right, term_sql)})"
            case ast.UnaryOp(op=ast.USub()):
                return f"(CAST('-1' AS numeric) * {self._sql(node.operand, term_sql)})"
            case ast.UnaryOp():
                return self._sql(node.operand, term_sql)
            case ast.Constant(value=value):
                return f"CAST('{Decimal(str(value)):f}' AS numeric)"
            case ast.Name(id=name):
                return term_sql(Term(_reference(name)))
            case ast.Call(func=ast.Name(id=function), args=[ast.Name(id=name)]):
                return term_sql(Term(_reference(name), function))
        raise AssertionError("unchecked formula node")  # _check admitted nothing else

    def aggregations(self, kpi_ids: dict[str, int]) -> dict:
        """The aggregate of each term over one period, filtered to its KPI: a plain reference takes
        the KPI's value for the period (it has one), an aggregate combines several."""
        return {
            term.alias: AGGREGATES[term.aggregate or "max"]("value", filter=Q(kpi_id=kpi_ids[term.reference]))
            for term in self.terms
        }


@lru_cache(maxsize=8192)
def parsed(text: str) -> Formula:
    """The checked formula of `text`, parsed once per process: the nightly recalculation reads
    every calculated KPI's formula for its dependencies and again for its statement."""
    return Formula(text)


class Divide(Func):
    """dividend / divisor, NULL when the divisor is zero."""

    template = "(%(expressions)s)"
    arg_joiner = " / "
    output_field = DECIMAL

    def __init__(self, dividend, divisor):
        super().__init__(dividend, NullIf(divisor, Value(Decimal(0))))

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite divides whole numbers as integers (95 / 100 = 0): make the dividend a real number.
        (dividend, dividend_params), (divisor, divisor_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"(CAST({dividend} AS REAL) / {divisor})", [*dividend_params, *divisor_params]


def _reference(name: str) -> str:
    return REFERENCE_BACK.sub(r"KPI-\1", name)


def _depth(node: ast.AST) -> int:
    """How deeply the tree nests, counted without recursion (a hostile formula may nest deeply)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(current))
    return deepest
