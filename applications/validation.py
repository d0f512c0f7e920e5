"""Field-by-field validation of an application and of the documents it uses.

Everything raises ``django.core.exceptions.ValidationError`` with a dict of field -> errors, each with a
named code (the constants below, reused by tests and clients); nothing is saved when one is raised.
"""

import hashlib
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_credit_code, validate_mobile, validate_resident_id
from deadlines.policy import policy_in_force

from .models import (
    APPLICATION_FIELDS,
    GENERATED_KINDS,
    WORKED_STATES,
    ApplicantType,
    Application,
    ApplicationState,
    Business,
    District,
    Document,
    DocumentKind,
    PolicyParameter,
    Voltage,
    district_of,
    normalise_address,
)

REQUIRED = "required"
INVALID_CHOICE = "invalid_choice"
POWER_SOURCES_REQUIRED = "power_sources_required"
CAPACITY_NOT_POSITIVE = "capacity_not_positive"
CAPACITY_INVALID = "capacity_invalid"
CAPACITY_ABOVE_LOW_VOLTAGE = "capacity_above_low_voltage"
CAPACITY_TOO_LARGE = "capacity_too_large"
TOO_LONG = "too_long"
DUPLICATE_APPLICATION = "duplicate_application"
DOCUMENT_NOT_FOUND = "document_not_found"
DOCUMENT_EXPIRED = "document_expired"
DOCUMENT_REJECTED = "document_rejected"
DOCUMENT_KIND_REPEATED = "document_kind_repeated"
DOCUMENT_KIND_GENERATED = "document_kind_generated"
MATERIALS_MISSING = "materials_missing"
FILE_REQUIRED = "file_required"
FILE_TOO_LARGE = "file_too_large"
FILE_TYPE = "file_type"
VALID_UNTIL_PAST = "valid_until_past"
NOT_A_LIST = "not_a_list"
NOT_BOOLEAN = "not_boolean"
UPLOAD_QUOTA_EXCEEDED = "upload_quota_exceeded"
DOCUMENT_IN_USE = "document_in_use"
ACCOUNT_NUMBER_INVALID = "account_number_invalid"

# An upper bound that catches typing slips (kVA entered as VA); real HV customers stay far below it.
MAX_CAPACITY_KVA = Decimal("100000")


def policy_parameter(name: str, on=None):
    """A numeric parameter of the policy in force on ``on``, as a Decimal: a field of the policy document
    (``deadlines.policy``), else the latest ``PolicyParameter`` row of that code effective on ``on``.
    Raises KeyError when neither has it."""
    on = on or timezone.localdate()
    value = getattr(policy_in_force(on), name, None)
    if value is None:
        value = (
            PolicyParameter.objects.filter(code=name, effective_from__lte=on)
            .order_by("-effective_from")
            .values_list("value", flat=True)
            .first()
        )
        if value is None:
            raise KeyError(name)
    return Decimal(str(value))


def _err(message, code, params=None):
    return ValidationError(message, code=code, params=params)


def _choice(errors, cleaned, data, field, choices):
    value = data.get(field)
    if value in (None, ""):
        errors[field] = [_err(_("此项为必填项。"), REQUIRED)]
    elif value not in choices.values:
        errors[field] = [_err(_("请选择有效的选项。"), INVALID_CHOICE)]
    else:
        cleaned[field] = value


def _text(errors, cleaned, data, field, max_length):
    value = str(data.get(field) or "").strip()
    if not value:
        errors[field] = [_err(_("此项为必填项。"), REQUIRED)]
    elif len(value) > max_length:
        errors[field] = [_err(_("最多 %(max)s 个字符。"), TOO_LONG, {"max": max_length})]
    else:
        cleaned[field] = value


def clean_application(*, customer, data: dict, instance: Application | None = None) -> dict:
    """Validate an application's fields (merged over ``instance`` for an edit) and return them clean.

    ``documents`` (a list of wallet ids) is cleaned too and returned as Document objects.
    Raises ValidationError({field: [...]}) listing every problem at once.
    """
    if instance is not None:
        # A case from before districts were asked has none: it is read from the address then.
        merged = {f: getattr(instance, f) for f in APPLICATION_FIELDS if f != "district" or instance.district}
        merged.update({k: v for k, v in data.items()})
        data = merged
    errors: dict[str, list] = {}
    cleaned: dict = {}
    _choice(errors, cleaned, data, "business", Business)
    _choice(errors, cleaned, data, "voltage", Voltage)
    _choice(errors, cleaned, data, "applicant_type", ApplicantType)
    _text(errors, cleaned, data, "applicant_name", 100)
    _text(errors, cleaned, data, "address", 200)
    _clean_district(errors, cleaned, data)

    voltage = cleaned.get("voltage")
    sources = data.get("power_sources")
    if voltage == Voltage.HIGH:
        if sources in (None, ""):
            errors["power_sources"] = [_err(_("高压用电须选择单电源或双电源。"), POWER_SOURCES_REQUIRED)]
        elif str(sources) not in ("1", "2"):
            errors["power_sources"] = [_err(_("电源数只能是1（单电源）或2（双电源）。"), INVALID_CHOICE)]
        else:
            cleaned["power_sources"] = int(sources)
    elif voltage == Voltage.LOW:
        cleaned["power_sources"] = None  # LV has no choice of sources

    id_number = str(data.get("id_number") or "").strip()
    applicant_type = cleaned.get("applicant_type")
    if not id_number:
        errors["id_number"] = [_err(_("此项为必填项。"), REQUIRED)]
    elif applicant_type:
        validator = validate_resident_id if applicant_type == ApplicantType.RESIDENT else validate_credit_code
        try:
            cleaned["id_number"] = validator(id_number)
        except ValidationError as exc:
            errors["id_number"] = exc.error_list

    phone = str(data.get("contact_phone") or "").strip()
    if not phone:
        errors["contact_phone"] = [_err(_("此项为必填项。"), REQUIRED)]
    else:
        try:
            cleaned["contact_phone"] = validate_mobile(phone)
        except ValidationError as exc:
            errors["contact_phone"] = exc.error_list

    _clean_capacity(errors, cleaned, data, voltage, applicant_type)
    _clean_increase(errors, cleaned, data)

    if "documents" in data and data["documents"] is not None:
        try:
            cleaned["documents"] = clean_documents(customer=customer, ids=data["documents"])
        except ValidationError as exc:
            errors["documents"] = exc.error_list

    if not errors:
        _refuse_duplicate(errors, cleaned, customer, instance)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_district(errors, cleaned, data):
    """The district 旗县区: required when the form asks for it (``district`` given; left blank, it is read
    from the written address if that names one), else read from the address (API clients that send
    only ``address``)."""
    if "district" in data and data["district"] is not None:
        value = str(data["district"]).strip() or district_of(cleaned.get("address", ""))
        if not value:
            errors["district"] = [_err(_("请选择所在旗县区。"), REQUIRED)]
        elif value not in District.values:
            errors["district"] = [_err(_("请选择有效的选项。"), INVALID_CHOICE)]
        else:
            cleaned["district"] = value
    else:
        cleaned["district"] = district_of(cleaned.get("address", ""))


def _clean_capacity(errors, cleaned, data, voltage, applicant_type):
    raw = data.get("capacity_kva")
    if raw in (None, ""):
        errors["capacity_kva"] = [_err(_("此项为必填项。"), REQUIRED)]
        return
    try:
        capacity = Decimal(str(raw))
        if not capacity.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["capacity_kva"] = [_err(_("请输入数字。"), CAPACITY_INVALID)]
        return
    if capacity <= 0:
        errors["capacity_kva"] = [_err(_("申请容量必须大于0。"), CAPACITY_NOT_POSITIVE)]
    elif capacity > MAX_CAPACITY_KVA:
        errors["capacity_kva"] = [_err(_("申请容量过大，请核对单位（kVA）。"), CAPACITY_TOO_LARGE)]
    elif capacity.as_tuple().exponent < -2:
        errors["capacity_kva"] = [_err(_("申请容量最多保留两位小数。"), CAPACITY_INVALID)]
    elif voltage == Voltage.LOW and capacity > (limit := policy_parameter("lv_small_micro_max_kva")):
        errors["capacity_kva"] = [
            _err(
                _("低压接入容量不超过 %(limit)s kVA，更大容量请选择高压。"),
                CAPACITY_ABOVE_LOW_VOLTAGE,
                {"limit": f"{limit.normalize():f}"},
            )
        ]
    else:
        cleaned["capacity_kva"] = capacity


ACCOUNT_NUMBER = re.compile(r"\d{6,20}")


def _clean_increase(errors, cleaned, data):
    """增容 carries the existing connection's account number 户号 and capacity; a new connection none."""
    if cleaned.get("business") != Business.INCREASE:
        cleaned["account_number"], cleaned["existing_capacity_kva"] = "", None
        return
    account = str(data.get("account_number") or "").strip()
    if not account:
        errors["account_number"] = [_err(_("增容须填写原有户号。"), REQUIRED)]
    elif not ACCOUNT_NUMBER.fullmatch(account):
        errors["account_number"] = [_err(_("户号为6至20位数字。"), ACCOUNT_NUMBER_INVALID)]
    else:
        cleaned["account_number"] = account
    raw = data.get("existing_capacity_kva")
    if raw in (None, ""):
        errors["existing_capacity_kva"] = [_err(_("增容须填写原有容量。"), REQUIRED)]
        return
    try:
        existing = Decimal(str(raw))
        if not existing.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["existing_capacity_kva"] = [_err(_("请输入数字。"), CAPACITY_INVALID)]
        return
    if existing <= 0:
        errors["existing_capacity_kva"] = [_err(_("原有容量必须大于0。"), CAPACITY_NOT_POSITIVE)]
    elif existing > MAX_CAPACITY_KVA or existing.as_tuple().exponent < -2:
        errors["existing_capacity_kva"] = [_err(_("请核对原有容量（kVA，最多两位小数）。"), CAPACITY_INVALID)]
    else:
        cleaned["existing_capacity_kva"] = existing


def _refuse_duplicate(errors, cleaned, customer, instance):
    found = find_duplicate(
        customer=customer,
        id_number=cleaned["id_number"],
        address=cleaned["address"],
        exclude_pk=instance.pk if instance is not None else None,
    )
    if found is not None:
        errors["address"] = [duplicate_error(found, customer)]


def find_duplicate(*, customer, id_number: str, address: str, exclude_pk=None) -> Application | None:
    """The case that makes a new one for this applicant and address a duplicate: a submitted, still open
    case of anyone, or a draft of the same customer. Another customer's draft blocks nothing."""
    existing = Application.objects.filter(
        Q(state__in=WORKED_STATES) | Q(state=ApplicationState.DRAFT, customer_id=customer.pk),
        id_number=id_number,
        address_key=normalise_address(address),
    )
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    return existing.only("pk", "number", "customer_id").order_by("pk").first()


def refuse_duplicate_submission(application: Application) -> None:
    """Raise ValidationError(duplicate_application) when another submitted, open case has the same
    applicant and address (checked again at submission: drafts are not unique)."""
    found = (
        Application.objects.filter(
            state__in=WORKED_STATES,
            id_number=application.id_number,
            address_key=normalise_address(application.address),
        )
        .exclude(pk=application.pk)
        .only("pk", "number", "customer_id")
        .first()
    )
    if found is not None:
        raise ValidationError({"address": [duplicate_error(found, application.customer)]})


def duplicate_error(found: Application, customer) -> ValidationError:
    """The existing case is named to its owner only; anyone else is sent to the bureau."""
    if found.customer_id == customer.pk:
        return _err(
            _("该申请人在此地址已有办理中的申请（%(ref)s），请勿重复申请。"),
            DUPLICATE_APPLICATION,
            {"ref": found.number or _("草稿 #%(id)s") % {"id": found.pk}, "id": found.pk},
        )
    return _err(
        _("该申请人在此地址已有办理中的申请。如非本人申请，请携带身份证明联系供电局营业厅核实。"),
        DUPLICATE_APPLICATION,
    )


def clean_documents(*, customer, ids, today=None) -> list[Document]:
    """The wallet documents ``ids`` of ``customer``, each still valid, at most one per kind."""
    if not isinstance(ids, list | tuple):
        raise ValidationError(_("资料须为资料库中的编号列表。"), code=NOT_A_LIST)
    today = today or timezone.localdate()
    try:
        wanted = [int(i) for i in ids]
    except (TypeError, ValueError):
        raise ValidationError(_("资料须为资料库中的编号列表。"), code=NOT_A_LIST)
    found = {d.pk: d for d in Document.objects.filter(owner=customer, pk__in=wanted)}
    problems, seen, docs = [], set(), []
    for pk in wanted:
        doc = found.get(pk)
        if doc is None:
            problems.append(_err(_("资料 %(id)s 不存在。"), DOCUMENT_NOT_FOUND, {"id": pk}))
        elif doc.rejected_at is not None:
            problems.append(
                _err(
                    _("资料“%(kind)s”已被退回（%(reason)s），请上传新的文件。"),
                    DOCUMENT_REJECTED,
                    {"kind": doc.get_kind_display(), "reason": doc.rejected_reason},
                )
            )
        elif doc.valid_until is not None and doc.valid_until < today:
            problems.append(
                _err(
                    _("资料“%(kind)s”已于 %(date)s 过期，请上传有效的文件。"),
                    DOCUMENT_EXPIRED,
                    {"kind": doc.get_kind_display(), "date": doc.valid_until.isoformat()},
                )
            )
        elif doc.kind in seen:
            problems.append(
                _err(
                    _("同一类资料只能附一份：%(kind)s。"),
                    DOCUMENT_KIND_REPEATED,
                    {"kind": doc.get_kind_display()},
                )
            )
        else:
            seen.add(doc.kind)
            docs.append(doc)
    if problems:
        raise ValidationError(problems)
    return docs


# Uploads ---------------------------------------------------------------------------------------------
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    """The type a file really is, from its first bytes (PDF, JPEG or PNG), or None."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def check_file(file) -> tuple[ValidationError | None, dict]:
    """An uploaded file's problem (none chosen, too large, not a PDF, JPEG or PNG by its content), or
    its facts: ``content_type``, ``size`` and ``sha256``. Every upload of the portal is checked here."""
    if file is None:
        return _err(_("请选择要上传的文件。"), FILE_REQUIRED), {}
    if file.size > settings.UPLOAD_MAX_BYTES:
        mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        return _err(_("文件不能超过 %(mb)s MB。"), FILE_TOO_LARGE, {"mb": mb}), {}
    file.seek(0)
    content_type = sniff_content_type(file.read(16))
    if content_type is None:
        return _err(_("只接受 PDF、JPEG 或 PNG 文件。"), FILE_TYPE), {}
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return None, {"content_type": content_type, "size": file.size, "sha256": digest.hexdigest()}


def check_upload_quota(*, owner, size: int) -> None:
    """Raise ValidationError({"file": [upload_quota_exceeded]}) when one more file of ``size`` bytes would
    take ``owner``'s wallet past the policy's ``upload_quota_files`` or ``upload_quota_bytes``."""
    files = int(policy_parameter("upload_quota_files"))
    limit = int(policy_parameter("upload_quota_bytes"))
    used = Document.objects.filter(owner=owner).aggregate(n=Count("pk"), size=Sum("size"))
    if used["n"] + 1 > files or (used["size"] or 0) + size > limit:
        raise ValidationError(
            {
                "file": [
                    _err(
                        _(
                            "资料库已满（最多 %(files)s 个文件、共 %(mb)s MB）。"
                            "请先删除未用于申请的资料，或联系供电局。"
                        ),
                        UPLOAD_QUOTA_EXCEEDED,
                        {"files": files, "mb": limit // (1024 * 1024)},
                    )
                ]
            }
        )


def clean_upload(*, kind, file, valid_until) -> dict:
    """Check an uploaded document by content and size; return kind, content type, size, digest."""
    errors: dict[str, list] = {}
    cleaned: dict = {}
    if kind in GENERATED_KINDS:
        errors["kind"] = [_err(_("用电申请书由平台根据申请自动生成，无需上传。"), DOCUMENT_KIND_GENERATED)]
    elif kind not in DocumentKind.values:
        errors["kind"] = [_err(_("请选择有效的资料类别。"), INVALID_CHOICE)]
    else:
        cleaned["kind"] = kind
    problem, facts = check_file(file)
    if problem is not None:
        errors["file"] = [problem]
    else:
        cleaned.update(facts)
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = [_err(_("有效期已过，不能上传过期的资料。"), VALID_UNTIL_PAST)]
    cleaned["valid_until"] = valid_until
    if errors:
        raise ValidationError(errors)
    return cleaned
