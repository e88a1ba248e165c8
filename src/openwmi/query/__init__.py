"""WQL: parser, formatter, LIKE matcher, validation, evaluation and planning.

The pipeline for ``exec_query`` (one call: ``prepare_query``)::

    text ──parse_wql──▶ Query (frozen AST; format_wql gives it back as text)
         ──validate_query(q, resolve_class)──▶ BoundQuery (types, coerced constants)
         ──compile_where──▶ predicate(instance) -> bool
         ──plan_query──▶ Plan (key lookup / constraints / residual; explain())
         ──make_projector──▶ project(instance) -> instance

Imports only openwmi.model, openwmi.errors and openwmi.constants (+ lark);
never asyncio.
"""

from ._ast import And as And
from ._ast import AssociatorsQuery as AssociatorsQuery
from ._ast import Comparison as Comparison
from ._ast import EventQuery as EventQuery
from ._ast import Expr as Expr
from ._ast import IsA as IsA
from ._ast import IsNull as IsNull
from ._ast import Not as Not
from ._ast import Or as Or
from ._ast import PropertyRef as PropertyRef
from ._ast import Query as Query
from ._ast import ReferencesQuery as ReferencesQuery
from ._ast import SchemaQuery as SchemaQuery
from ._ast import SelectQuery as SelectQuery
from ._evaluate import OBJECT_FLAG_KEY_DROPPED as OBJECT_FLAG_KEY_DROPPED
from ._evaluate import OBJECT_FLAG_PROPERTY_LIST as OBJECT_FLAG_PROPERTY_LIST
from ._evaluate import Matcher as Matcher
from ._evaluate import Prototype as Prototype
from ._evaluate import compile_schema_where as compile_schema_where
from ._evaluate import compile_where as compile_where
from ._evaluate import make_projector as make_projector
from ._evaluate import prototype as prototype
from ._format import format_expr as format_expr
from ._format import format_wql as format_wql
from ._like import LikePatternError as LikePatternError
from ._like import compile_like as compile_like
from ._like import like_match as like_match
from ._parser import MAX_NESTING as MAX_NESTING
from ._parser import MAX_PREDICATES as MAX_PREDICATES
from ._parser import check_query_language as check_query_language
from ._parser import parse_event_query as parse_event_query
from ._parser import parse_wql as parse_wql
from ._plan import Constraint as Constraint
from ._plan import Plan as Plan
from ._plan import PreparedQuery as PreparedQuery
from ._plan import plan_query as plan_query
from ._plan import prepare_query as prepare_query
from ._validate import BoundExpr as BoundExpr
from ._validate import BoundProperty as BoundProperty
from ._validate import BoundQuery as BoundQuery
from ._validate import ClassResolver as ClassResolver
from ._validate import Domain as Domain
from ._validate import Predicate as Predicate
from ._validate import validate_query as validate_query

__all__ = [
    "MAX_NESTING",
    "MAX_PREDICATES",
    "OBJECT_FLAG_KEY_DROPPED",
    "OBJECT_FLAG_PROPERTY_LIST",
    "And",
    "AssociatorsQuery",
    "BoundExpr",
    "BoundProperty",
    "BoundQuery",
    "ClassResolver",
    "Comparison",
    "Constraint",
    "Domain",
    "EventQuery",
    "Expr",
    "IsA",
    "IsNull",
    "LikePatternError",
    "Matcher",
    "Not",
    "Or",
    "Plan",
    "Predicate",
    "PreparedQuery",
    "PropertyRef",
    "Prototype",
    "Query",
    "ReferencesQuery",
    "SchemaQuery",
    "SelectQuery",
    "check_query_language",
    "compile_like",
    "compile_schema_where",
    "compile_where",
    "format_expr",
    "format_wql",
    "like_match",
    "make_projector",
    "parse_event_query",
    "parse_wql",
    "plan_query",
    "prepare_query",
    "prototype",
    "validate_query",
]
