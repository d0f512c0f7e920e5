from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import services


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"), max_length=150)
    password = serializers.CharField(label=_("密码"), write_only=True, style={"input_type": "password"})
    phone = serializers.CharField(label=_("手机号码"), max_length=20)
    name = serializers.CharField(label=_("姓名"), max_length=50)

    def create(self, validated_data):
        try:
            return services.customer_register(
                username=validated_data["username"],
                password=validated_data["password"],
                phone=validated_data["phone"],
                real_name=validated_data["name"],
            )
        except DjangoValidationError as exc:
            errors = {("name" if k == "real_name" else k): v for k, v in exc.message_dict.items()}
            raise serializers.ValidationError(errors)


class RegisteredUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="real_name")


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label=_("用户名"))
    password = serializers.CharField(label=_("密码"), style={"input_type": "password"}, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
