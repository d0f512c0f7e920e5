from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import services, sms_codes
from .models import PhoneCode

MSG_CONSENT = _("请阅读并同意隐私政策后注册。")
CONSENT_REQUIRED = "consent_required"


def _by_field(exc: DjangoValidationError) -> DjangoValidationError:
    """The service's errors under the API's field names (``name``, ``sms_code``), codes kept."""
    names = {"real_name": "name", "code": "sms_code"}
    return DjangoValidationError({names.get(k, k): v for k, v in exc.error_dict.items()})


class RegisterSerializer(serializers.Serializer):
    """As on the page: the mobile number proved by an SMS code (``POST .../auth/sms-code/``), consent to
    the privacy notice; the code is used only once every other field is right."""

    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(label=_("密码"), write_only=True, style={"input_type": "password"})
    phone = serializers.CharField(label=_("手机号码"), max_length=20)
    name = serializers.CharField(label=_("姓名"), max_length=50)
    sms_code = serializers.CharField(label=_("短信验证码"), max_length=6, write_only=True)
    consent = serializers.BooleanField(label=_("同意隐私政策"), write_only=True)

    def validate(self, data):
        errors = services.registration_errors(
            username=data["username"], password=data["password"], phone=data["phone"], real_name=data["name"]
        )
        if not data["consent"]:
            errors["consent"] = [DjangoValidationError(MSG_CONSENT, code=CONSENT_REQUIRED)]
        if errors:
            raise _by_field(DjangoValidationError(errors))
        try:
            sms_codes.code_verify(
                phone=data["phone"], purpose=PhoneCode.Purpose.REGISTER, code=data["sms_code"]
            )
        except DjangoValidationError as exc:
            raise _by_field(exc)
        return data

    def create(self, validated_data):
        try:
            return services.customer_register(
                username=validated_data["username"],
                password=validated_data["password"],
                phone=validated_data["phone"],
                real_name=validated_data["name"],
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_by_field(exc).message_dict)


class SmsCodeRequestSerializer(serializers.Serializer):
    phone = serializers.CharField(label=_("手机号码"), max_length=20)
    purpose = serializers.ChoiceField(label=_("用途"), choices=PhoneCode.Purpose.choices)


class SmsCodeSentSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="The number, masked")
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid")


class RegisteredUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="real_name")


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
