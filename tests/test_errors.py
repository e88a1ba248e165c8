"""Tests for openwmi.errors: HRESULT values, the WbemError family, CIM status map.

The tables below are copied by hand from the behaviour reference
(wmi-semantics.md §9.1, §9.2 and §11.3) so that the tests do not read files
outside the repository.
"""

from __future__ import annotations

import pickle

import pytest

from openwmi import errors
from openwmi.errors import (
    CIM_STATUS_NAMES,
    AccessDeniedError,
    AlreadyExistsError,
    CallCancelledError,
    HResult,
    InternalError,
    InvalidClassError,
    InvalidNamespaceError,
    InvalidObjectError,
    InvalidObjectPathError,
    InvalidOperationError,
    InvalidParameterError,
    InvalidPropertyError,
    InvalidQueryError,
    InvalidQueryTypeError,
    NotFoundError,
    NotSupportedError,
    ProviderError,
    ProviderLoadError,
    ProviderNotCapableError,
    ProviderNotFoundError,
    ProviderTimedOutError,
    QuotaViolationError,
    ShuttingDownError,
    TransportError,
    TypeMismatchError,
    UnparsableQueryError,
    WbemError,
    cim_status_to_hresult,
    hresult_name,
    hresult_to_cim_status,
    is_error,
)

# --- spec §9.1 / §9.2, verbatim names and values -------------------------------

SPEC_SUCCESS_CODES: dict[str, int] = {
    "WBEM_S_NO_ERROR": 0x00000000,
    "WBEM_S_SAME": 0x00000000,
    "WBEM_NO_ERROR": 0x00000000,
    "WBEM_S_INITIALIZED": 0x00000000,
    "WBEM_S_FALSE": 0x00000001,
    "WBEM_S_ALREADY_EXISTS": 0x00040001,
    "WBEM_S_RESET_TO_DEFAULT": 0x00040002,
    "WBEM_S_DIFFERENT": 0x00040003,
    "WBEM_S_TIMEDOUT": 0x00040004,
    "WBEM_S_NO_MORE_DATA": 0x00040005,
    "WBEM_S_OPERATION_CANCELLED": 0x00040006,
    "WBEM_S_PENDING": 0x00040007,
    "WBEM_S_DUPLICATE_OBJECTS": 0x00040008,
    "WBEM_S_ACCESS_DENIED": 0x00040009,
    "WBEM_S_PARTIAL_RESULTS": 0x00040010,
    "WBEM_S_SOURCE_NOT_AVAILABLE": 0x00040017,
    "WBEM_S_NEW_STYLE": 0x000400FF,
    "WBEM_S_LIMITED_SERVICE": 0x00043001,
    "WBEM_S_INDIRECTLY_UPDATED": 0x00043002,
}

SPEC_ERROR_CODES: dict[str, int] = {
    "WBEM_E_FAILED": 0x80041001,
    "WBEM_E_NOT_FOUND": 0x80041002,
    "WBEM_E_ACCESS_DENIED": 0x80041003,
    "WBEM_E_PROVIDER_FAILURE": 0x80041004,
    "WBEM_E_TYPE_MISMATCH": 0x80041005,
    "WBEM_E_OUT_OF_MEMORY": 0x80041006,
    "WBEM_E_INVALID_CONTEXT": 0x80041007,
    "WBEM_E_INVALID_PARAMETER": 0x80041008,
    "WBEM_E_NOT_AVAILABLE": 0x80041009,
    "WBEM_E_CRITICAL_ERROR": 0x8004100A,
    "WBEM_E_INVALID_STREAM": 0x8004100B,
    "WBEM_E_NOT_SUPPORTED": 0x8004100C,
    "WBEM_E_INVALID_SUPERCLASS": 0x8004100D,
    "WBEM_E_INVALID_NAMESPACE": 0x8004100E,
    "WBEM_E_INVALID_OBJECT": 0x8004100F,
    "WBEM_E_INVALID_CLASS": 0x80041010,
    "WBEM_E_PROVIDER_NOT_FOUND": 0x80041011,
    "WBEM_E_INVALID_PROVIDER_REGISTRATION": 0x80041012,
    "WBEM_E_PROVIDER_LOAD_FAILURE": 0x80041013,
    "WBEM_E_INITIALIZATION_FAILURE": 0x80041014,
    "WBEM_E_TRANSPORT_FAILURE": 0x80041015,
    "WBEM_E_INVALID_OPERATION": 0x80041016,
    "WBEM_E_INVALID_QUERY": 0x80041017,
    "WBEM_E_INVALID_QUERY_TYPE": 0x80041018,
    "WBEM_E_ALREADY_EXISTS": 0x80041019,
    "WBEM_E_UNEXPECTED": 0x8004101D,
    "WBEM_E_INCOMPLETE_CLASS": 0x80041020,
    "WBEM_E_INVALID_SYNTAX": 0x80041021,
    "WBEM_E_READ_ONLY": 0x80041023,
    "WBEM_E_PROVIDER_NOT_CAPABLE": 0x80041024,
    "WBEM_E_CLASS_HAS_CHILDREN": 0x80041025,
    "WBEM_E_CLASS_HAS_INSTANCES": 0x80041026,
    "WBEM_E_ILLEGAL_NULL": 0x80041028,
    "WBEM_E_INVALID_CIM_TYPE": 0x8004102D,
    "WBEM_E_INVALID_METHOD": 0x8004102E,
    "WBEM_E_INVALID_METHOD_PARAMETERS": 0x8004102F,
    "WBEM_E_INVALID_PROPERTY": 0x80041031,
    "WBEM_E_CALL_CANCELLED": 0x80041032,
    "WBEM_E_SHUTTING_DOWN": 0x80041033,
    "WBEM_E_UNSUPPORTED_PARAMETER": 0x80041035,
    "WBEM_E_INVALID_OBJECT_PATH": 0x8004103A,
    "WBEM_E_OUT_OF_DISK_SPACE": 0x8004103B,
    "WBEM_E_UNSUPPORTED_PUT_EXTENSION": 0x8004103D,
    "WBEM_E_SERVER_TOO_BUSY": 0x80041045,
    "WBEM_E_METHOD_NOT_IMPLEMENTED": 0x80041055,
    "WBEM_E_METHOD_DISABLED": 0x80041056,
    "WBEM_E_REFRESHER_BUSY": 0x80041057,
    "WBEM_E_UNPARSABLE_QUERY": 0x80041058,
    "WBEM_E_NOT_EVENT_CLASS": 0x80041059,
    "WBEM_E_MISSING_GROUP_WITHIN": 0x8004105A,
    "WBEM_E_MISSING_AGGREGATION_LIST": 0x8004105B,
    "WBEM_E_PROPERTY_NOT_AN_OBJECT": 0x8004105C,
    "WBEM_E_AGGREGATING_BY_OBJECT": 0x8004105D,
    "WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY": 0x8004105F,
    "WBEM_E_QUEUE_OVERFLOW": 0x80041061,
    "WBEM_E_PRIVILEGE_NOT_HELD": 0x80041062,
    "WBEM_E_INVALID_OPERATOR": 0x80041063,
    "WBEM_E_LOCAL_CREDENTIALS": 0x80041064,
    "WBEM_E_CLIENT_TOO_SLOW": 0x80041067,
    "WBEM_E_TIMED_OUT": 0x80041069,
    "WBEM_E_QUOTA_VIOLATION": 0x8004106C,
    "WBEM_E_VETO_DELETE": 0x80041079,
    "WBEM_E_VETO_PUT": 0x8004107A,
    "WBEM_E_PROVIDER_SUSPENDED": 0x80041081,
    # §9.2 errata: the header value, not the documentation page's
    "WBEM_E_PROVIDER_ALREADY_REGISTERED": 0x80041084,
    "WBEM_E_ENCRYPTED_CONNECTION_REQUIRED": 0x80041087,
    "WBEM_E_PROVIDER_TIMED_OUT": 0x80041088,
    "WBEM_E_NO_KEY": 0x80041089,
    "WBEM_E_PROVIDER_DISABLED": 0x8004108A,
    "WBEMESS_E_REGISTRATION_TOO_BROAD": 0x80042001,
    "WBEMESS_E_REGISTRATION_TOO_PRECISE": 0x80042002,
    "WBEMESS_E_AUTHZ_NOT_PRIVILEGED": 0x80042003,
    "WBEM_E_RETRY_LATER": 0x80043001,
    "WBEM_E_RESOURCE_CONTENTION": 0x80043002,
}

SPEC_CODES = {**SPEC_SUCCESS_CODES, **SPEC_ERROR_CODES}

# Codes openwmi needs beyond §9.2, with their wbemcli.h values.
HEADER_EXTRAS: dict[str, int] = {
    "WBEM_E_OVERRIDE_NOT_ALLOWED": 0x8004103F,  # DSP0004 DisableOverride
}


@pytest.mark.parametrize(
    ("name", "value"),
    {**SPEC_CODES, **HEADER_EXTRAS}.items(),
    ids=[*SPEC_CODES, *HEADER_EXTRAS],
)
def test_hresult_value_matches_spec(name: str, value: int) -> None:
    """Spec §9.1/§9.2: every listed code exists under its name with its value."""
    assert HResult[name] == value


def test_hresult_has_no_codes_beyond_the_spec() -> None:
    """Spec §9: HResult holds exactly the spec's names (aliases included)."""
    assert set(HResult.__members__) == set(SPEC_CODES) | set(HEADER_EXTRAS)


@pytest.mark.parametrize(
    ("name", "value"), SPEC_ERROR_CODES.items(), ids=list(SPEC_ERROR_CODES)
)
def test_error_codes_have_the_severity_bit(name: str, value: int) -> None:
    """Spec §9 (MS-ERREF §2.1): WMI errors are 0x8004xxxx (severity set, ITF)."""
    assert is_error(HResult[name])
    assert value >> 16 == 0x8004


@pytest.mark.parametrize(
    ("name", "value"), SPEC_SUCCESS_CODES.items(), ids=list(SPEC_SUCCESS_CODES)
)
def test_success_codes_are_not_errors(name: str, value: int) -> None:
    """Spec §9.1: success codes have no severity bit."""
    assert not is_error(HResult[name])
    assert value & 0x80000000 == 0


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(0, False, id="zero"),
        pytest.param(0x00040004, False, id="s-timedout"),
        pytest.param(0x7FFFFFFF, False, id="max-success"),
        pytest.param(0x80000000, True, id="min-error"),
        pytest.param(0x80041002, True, id="not-found"),
        pytest.param(0x800706BA, True, id="rpc-unavailable"),
        pytest.param(0xFFFFFFFF, True, id="all-ones"),
    ],
)
def test_is_error(code: int, expected: bool) -> None:
    """Spec §9 (MS-ERREF §2.1): the severity bit decides."""
    assert is_error(code) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param(0x80041002, "WBEM_E_NOT_FOUND", id="known-error"),
        pytest.param(0x00040005, "WBEM_S_NO_MORE_DATA", id="known-success"),
        pytest.param(0, "WBEM_S_NO_ERROR", id="zero-canonical-alias"),
        pytest.param(0x80042001, "WBEMESS_E_REGISTRATION_TOO_BROAD", id="wbemess"),
        pytest.param(0x800706BA, "0x800706BA", id="rpc-code-hex"),
        pytest.param(0x80041FFF, "0x80041FFF", id="unknown-wbem-hex"),
        pytest.param(0x1234, "0x00001234", id="unknown-success-padded"),
    ],
)
def test_hresult_name(code: int, expected: str) -> None:
    """Spec §9: symbolic names for WMI codes, 8-digit upper hex for the rest."""
    assert hresult_name(code) == expected


# --- the exception family -------------------------------------------------------

ERROR_CLASSES: list[tuple[type[WbemError], HResult, type[BaseException]]] = [
    (NotFoundError, HResult.WBEM_E_NOT_FOUND, WbemError),
    (InvalidNamespaceError, HResult.WBEM_E_INVALID_NAMESPACE, WbemError),
    (InvalidClassError, HResult.WBEM_E_INVALID_CLASS, WbemError),
    (InvalidParameterError, HResult.WBEM_E_INVALID_PARAMETER, WbemError),
    (TypeMismatchError, HResult.WBEM_E_TYPE_MISMATCH, InvalidParameterError),
    (InvalidObjectError, HResult.WBEM_E_INVALID_OBJECT, WbemError),
    (InvalidObjectPathError, HResult.WBEM_E_INVALID_OBJECT_PATH, WbemError),
    (InvalidPropertyError, HResult.WBEM_E_INVALID_PROPERTY, WbemError),
    (InvalidOperationError, HResult.WBEM_E_INVALID_OPERATION, WbemError),
    (AlreadyExistsError, HResult.WBEM_E_ALREADY_EXISTS, WbemError),
    (AccessDeniedError, HResult.WBEM_E_ACCESS_DENIED, WbemError),
    (NotSupportedError, HResult.WBEM_E_NOT_SUPPORTED, WbemError),
    (InvalidQueryError, HResult.WBEM_E_INVALID_QUERY, WbemError),
    (UnparsableQueryError, HResult.WBEM_E_UNPARSABLE_QUERY, InvalidQueryError),
    (InvalidQueryTypeError, HResult.WBEM_E_INVALID_QUERY_TYPE, InvalidQueryError),
    (QuotaViolationError, HResult.WBEM_E_QUOTA_VIOLATION, WbemError),
    (ProviderError, HResult.WBEM_E_PROVIDER_FAILURE, WbemError),
    (ProviderNotFoundError, HResult.WBEM_E_PROVIDER_NOT_FOUND, ProviderError),
    (ProviderNotCapableError, HResult.WBEM_E_PROVIDER_NOT_CAPABLE, ProviderError),
    (ProviderLoadError, HResult.WBEM_E_PROVIDER_LOAD_FAILURE, ProviderError),
    (ProviderTimedOutError, HResult.WBEM_E_PROVIDER_TIMED_OUT, ProviderError),
    (CallCancelledError, HResult.WBEM_E_CALL_CANCELLED, WbemError),
    (ShuttingDownError, HResult.WBEM_E_SHUTTING_DOWN, WbemError),
    (TransportError, HResult.WBEM_E_TRANSPORT_FAILURE, WbemError),
]
_ERROR_IDS = [c.__name__ for c, _, _ in ERROR_CLASSES]


@pytest.mark.parametrize(("cls", "code", "parent"), ERROR_CLASSES, ids=_ERROR_IDS)
def test_error_class_code_and_parent(
    cls: type[WbemError], code: HResult, parent: type[BaseException]
) -> None:
    """Each subclass carries its HRESULT and sits under its parent in the tree."""
    err = cls("boom")
    assert err.hresult == code
    assert cls.hresult == code
    assert err.name == code.name
    assert type(err).__mro__[1] is parent
    assert isinstance(err, WbemError)


@pytest.mark.parametrize(("cls", "code", "parent"), ERROR_CLASSES, ids=_ERROR_IDS)
def test_of_picks_the_registered_subclass(
    cls: type[WbemError], code: HResult, parent: type[BaseException]
) -> None:
    """WbemError.of(code) builds the most specific registered class."""
    err = WbemError.of(code, "what and where", column=3)
    assert type(err) is cls
    assert err.hresult == code
    assert err.message == "what and where"
    assert err.details == {"column": 3}


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(HResult.WBEM_E_OUT_OF_MEMORY, id="known-unregistered"),
        pytest.param(HResult.WBEM_E_FAILED, id="failed"),
        pytest.param(0x80041FFF, id="unknown-wbem"),
        pytest.param(0x800706BA, id="rpc"),
    ],
)
def test_of_unregistered_code_gives_base_with_that_code(code: int) -> None:
    """A code without a subclass still round-trips its HRESULT on the base class."""
    err = WbemError.of(code, "m")
    assert type(err) is WbemError
    assert err.hresult == code
    assert err.name == hresult_name(code)


def test_str_format() -> None:
    """House style §3: ``0x80041002 WBEM_E_NOT_FOUND: <what and where>``."""
    err = NotFoundError('CIM_Foo.Name="x" not found in root/cimv2')
    assert str(err) == (
        '0x80041002 WBEM_E_NOT_FOUND: CIM_Foo.Name="x" not found in root/cimv2'
    )
    assert err.name == "WBEM_E_NOT_FOUND"


def test_str_format_for_unknown_code() -> None:
    """A code that is not a WMI code shows its hex form in both places."""
    err = WbemError.of(0x800706BA, "server unavailable")
    assert str(err) == "0x800706BA 0x800706BA: server unavailable"


def test_repr_names_class_and_code() -> None:
    assert repr(TypeMismatchError("bad")) == (
        "TypeMismatchError(WBEM_E_TYPE_MISMATCH, 'bad')"
    )


def test_explicit_hresult_overrides_class_code() -> None:
    err = WbemError("m", hresult=HResult.WBEM_E_TIMED_OUT)
    assert err.hresult == HResult.WBEM_E_TIMED_OUT
    assert WbemError.hresult == HResult.WBEM_E_FAILED  # class attribute untouched


def test_base_error_defaults_to_failed() -> None:
    err = WbemError("m")
    assert err.hresult == HResult.WBEM_E_FAILED
    assert str(err) == "0x80041001 WBEM_E_FAILED: m"


@pytest.mark.parametrize(
    "err",
    [
        pytest.param(NotFoundError("gone", path="C.K=1"), id="registered"),
        pytest.param(TypeMismatchError("t"), id="nested-subclass"),
        pytest.param(WbemError.of(0x80041FFF, "odd", raw=7), id="unregistered-code"),
        pytest.param(WbemError("plain"), id="base"),
    ],
)
def test_pickle_round_trip(err: WbemError) -> None:
    """Errors cross process boundaries (provider host) intact."""
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err)
    assert back.hresult == err.hresult
    assert back.message == err.message
    assert back.details == err.details
    assert str(back) == str(err)


def test_duplicate_registration_raises_type_error() -> None:
    """House style §3: a duplicate code fails at class creation."""
    with pytest.raises(TypeError, match="WBEM_E_NOT_FOUND already used by"):

        class Again(WbemError, hresult=HResult.WBEM_E_NOT_FOUND):
            pass

    assert type(WbemError.of(HResult.WBEM_E_NOT_FOUND, "m")) is NotFoundError


def test_subclass_without_code_inherits_and_is_not_registered() -> None:
    class MoreSpecificNotFound(NotFoundError):
        pass

    assert MoreSpecificNotFound("m").hresult == HResult.WBEM_E_NOT_FOUND
    assert type(WbemError.of(HResult.WBEM_E_NOT_FOUND, "m")) is NotFoundError


def test_raise_and_catch_by_parent() -> None:
    """Callers catch a family: TypeMismatchError is an InvalidParameterError."""
    with pytest.raises(InvalidParameterError) as info:
        raise TypeMismatchError("Cls.P: 300 is out of range for uint8")
    assert info.value.hresult == HResult.WBEM_E_TYPE_MISMATCH


def test_internal_error_is_outside_the_tree() -> None:
    assert not issubclass(InternalError, WbemError)
    assert issubclass(InternalError, Exception)


def test_all_is_sorted_and_complete() -> None:
    names = errors.__all__
    assert sorted(names) == sorted(set(names))
    for name in names:
        assert hasattr(errors, name), name


# --- HRESULT <-> CIM status (spec §11.3) ------------------------------------------

_E = HResult
TO_CIM: list[tuple[int, int]] = [
    (_E.WBEM_S_NO_ERROR, 0),
    (_E.WBEM_E_FAILED, 1),
    (_E.WBEM_E_PROVIDER_FAILURE, 1),
    (_E.WBEM_E_CRITICAL_ERROR, 1),
    (_E.WBEM_E_OUT_OF_MEMORY, 1),
    (_E.WBEM_E_ACCESS_DENIED, 2),
    (_E.WBEM_E_INVALID_NAMESPACE, 3),
    (_E.WBEM_E_INVALID_PARAMETER, 4),
    (_E.WBEM_E_INVALID_CONTEXT, 4),
    (_E.WBEM_E_INVALID_METHOD_PARAMETERS, 4),
    (_E.WBEM_E_INVALID_OBJECT_PATH, 4),
    (_E.WBEM_E_INVALID_CLASS, 5),
    (_E.WBEM_E_NOT_FOUND, 6),
    (_E.WBEM_E_NOT_SUPPORTED, 7),
    (_E.WBEM_E_PROVIDER_NOT_CAPABLE, 7),
    (_E.WBEM_E_VETO_PUT, 7),
    (_E.WBEM_E_VETO_DELETE, 7),
    (_E.WBEM_E_CLASS_HAS_CHILDREN, 8),
    (_E.WBEM_E_CLASS_HAS_INSTANCES, 9),
    (_E.WBEM_E_INVALID_SUPERCLASS, 10),
    (_E.WBEM_E_ALREADY_EXISTS, 11),
    (_E.WBEM_E_INVALID_PROPERTY, 12),
    (_E.WBEM_E_TYPE_MISMATCH, 13),
    (_E.WBEM_E_INVALID_QUERY_TYPE, 14),
    (_E.WBEM_E_INVALID_QUERY, 15),
    (_E.WBEM_E_UNPARSABLE_QUERY, 15),
    (_E.WBEM_E_INVALID_OPERATOR, 15),
    (_E.WBEM_E_NOT_EVENT_CLASS, 15),
    (_E.WBEM_E_METHOD_DISABLED, 16),
    (_E.WBEM_E_METHOD_NOT_IMPLEMENTED, 16),
    (_E.WBEM_E_INVALID_METHOD, 17),
    (_E.WBEM_E_QUOTA_VIOLATION, 27),
    (_E.WBEM_E_SERVER_TOO_BUSY, 27),
    (_E.WBEM_E_SHUTTING_DOWN, 28),
]


@pytest.mark.parametrize(
    ("code", "status"), TO_CIM, ids=[hresult_name(c) for c, _ in TO_CIM]
)
def test_hresult_to_cim_status(code: int, status: int) -> None:
    """Spec §11.3 table, row by row (outside a pull session)."""
    assert hresult_to_cim_status(code) == status
    assert status in CIM_STATUS_NAMES


@pytest.mark.parametrize(
    ("code", "status"), TO_CIM, ids=[hresult_name(c) for c, _ in TO_CIM]
)
def test_pull_session_changes_only_call_cancelled(code: int, status: int) -> None:
    """Spec §11.3: ``in_pull_session`` matters for WBEM_E_CALL_CANCELLED only."""
    assert hresult_to_cim_status(code, in_pull_session=True) == status


@pytest.mark.parametrize(
    ("in_pull", "status"),
    [
        pytest.param(True, 23, id="in-pull-session-abandoned"),
        pytest.param(False, 1, id="elsewhere-failed"),
    ],
)
def test_call_cancelled_to_cim(in_pull: bool, status: int) -> None:
    """Spec §11.3: CALL_CANCELLED is 23 PULL_HAS_BEEN_ABANDONED in a pull, else 1."""
    code = HResult.WBEM_E_CALL_CANCELLED
    assert hresult_to_cim_status(code, in_pull_session=in_pull) == status


@pytest.mark.parametrize(
    "code",
    [pytest.param(v, id=k) for k, v in SPEC_SUCCESS_CODES.items()]
    + [pytest.param(0x00041234, id="unknown-success")],
)
def test_success_codes_map_to_cim_ok(code: int) -> None:
    """Spec §9: other successes "MUST be considered as equal to WBEM_S_NO_ERROR"."""
    assert hresult_to_cim_status(code) == 0
    assert hresult_to_cim_status(code, in_pull_session=True) == 0


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(0x80041FFF, id="unknown-wbem"),
        pytest.param(0x800706BA, id="rpc-unavailable"),
        pytest.param(HResult.WBEM_E_TIMED_OUT, id="timed-out-unmapped"),
        pytest.param(HResult.WBEM_E_INVALID_SYNTAX, id="invalid-syntax-unmapped"),
    ],
)
def test_unmapped_errors_become_cim_failed(code: int) -> None:
    """Spec §11.3: everything without a row becomes 1 CIM_ERR_FAILED."""
    assert hresult_to_cim_status(code) == 1


def test_dcom_access_denied_maps_to_cim_access_denied() -> None:
    """Spec §11.3: 'WBEM_E_ACCESS_DENIED (and E_ACCESSDENIED) -> 2'."""
    assert hresult_to_cim_status(0x80070005) == 2


FROM_CIM: list[tuple[int, int]] = [
    (0, _E.WBEM_S_NO_ERROR),
    (1, _E.WBEM_E_FAILED),
    (2, _E.WBEM_E_ACCESS_DENIED),
    (3, _E.WBEM_E_INVALID_NAMESPACE),
    (4, _E.WBEM_E_INVALID_PARAMETER),
    (5, _E.WBEM_E_INVALID_CLASS),
    (6, _E.WBEM_E_NOT_FOUND),
    (7, _E.WBEM_E_NOT_SUPPORTED),
    (8, _E.WBEM_E_CLASS_HAS_CHILDREN),
    (9, _E.WBEM_E_CLASS_HAS_INSTANCES),
    (10, _E.WBEM_E_INVALID_SUPERCLASS),
    (11, _E.WBEM_E_ALREADY_EXISTS),
    (12, _E.WBEM_E_INVALID_PROPERTY),
    (13, _E.WBEM_E_TYPE_MISMATCH),
    (14, _E.WBEM_E_INVALID_QUERY_TYPE),
    (15, _E.WBEM_E_INVALID_QUERY),
    (16, _E.WBEM_E_METHOD_NOT_IMPLEMENTED),
    (17, _E.WBEM_E_INVALID_METHOD),
    (27, _E.WBEM_E_QUOTA_VIOLATION),
    (28, _E.WBEM_E_SHUTTING_DOWN),
]


@pytest.mark.parametrize(
    ("status", "code"), FROM_CIM, ids=[CIM_STATUS_NAMES[s] for s, _ in FROM_CIM]
)
def test_cim_status_to_hresult(status: int, code: int) -> None:
    """Spec §11.3, reverse direction: one canonical HRESULT per CIM status."""
    assert cim_status_to_hresult(status) == code


@pytest.mark.parametrize(
    ("status", "code"), FROM_CIM, ids=[CIM_STATUS_NAMES[s] for s, _ in FROM_CIM]
)
def test_cim_status_round_trip(status: int, code: int) -> None:
    """CIM -> HRESULT -> CIM gives the CIM status back for every mapped status."""
    assert hresult_to_cim_status(cim_status_to_hresult(status)) == status


@pytest.mark.parametrize(
    "status",
    [pytest.param(s, id=CIM_STATUS_NAMES[s]) for s in range(20, 27)]
    + [
        pytest.param(18, id="removed-18"),
        pytest.param(19, id="removed-19"),
        pytest.param(99, id="unknown-99"),
        pytest.param(-1, id="negative"),
    ],
)
def test_cim_status_without_wbem_equivalent_is_failed(status: int) -> None:
    """Spec §11.3: CIM 20-26 (and unknown codes) have no WBEM code -> WBEM_E_FAILED."""
    assert cim_status_to_hresult(status) == HResult.WBEM_E_FAILED


def test_cim_status_names_cover_dsp0200_codes() -> None:
    """Spec §11.1: codes 0-17 and 20-28; 18 and 19 were removed."""
    assert set(CIM_STATUS_NAMES) == set(range(18)) | set(range(20, 29))
    assert CIM_STATUS_NAMES[23] == "CIM_ERR_PULL_HAS_BEEN_ABANDONED"
    assert CIM_STATUS_NAMES[28] == "CIM_ERR_SERVER_IS_SHUTTING_DOWN"
