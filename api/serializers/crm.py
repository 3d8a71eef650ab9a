"""Serializers of the CRM API. Output shapes only: input is validated by the services
through `crm.validation` (the same code the importer uses), so the write serializers here
exist to document the request bodies in the OpenAPI schema."""

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from crm.models import (
    Branch,
    Contact,
    Customer,
    CustomerAudit,
    CustomerDepartment,
    CustomerGroup,
    Terminal,
)


class BranchSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "address", "phone", "active"]
        # crm.staff.branch_create holds the code's uniqueness (after upper-casing it)
        extra_kwargs = {"code": {"validators": []}}


class CustomerGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerGroup
        fields = ["id", "code", "name", "note"]


class CustomerSerializer(serializers.ModelSerializer):
    """A customer as the list and the detail show it (DESIGN §6 names)."""

    owner_name = serializers.SerializerMethodField()
    referral_count = serializers.IntegerField(read_only=True, default=0)
    referrer_phone = serializers.CharField(read_only=True, default="", allow_null=True)
    credit_limit = serializers.DecimalField(source="credit_limit_amount", max_digits=18,
                                            decimal_places=2, allow_null=True, read_only=True)
    total_purchased = serializers.DecimalField(source="total_purchased_amount", max_digits=18,
                                               decimal_places=2, read_only=True)
    receivable = serializers.DecimalField(source="receivable_amount", max_digits=18,
                                          decimal_places=2, read_only=True)
    prepaid_balance = serializers.DecimalField(source="prepaid_amount", max_digits=18,
                                               decimal_places=2, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "code", "name", "phone", "email", "address", "group", "owner",
                  "owner_name", "referrer", "referrer_phone", "referral_count", "coins",
                  "total_purchased", "role", "settlement_method", "prepaid_allowed",
                  "credit_limit", "credit_limit_enforced", "payment_terms_days", "home_branch",
                  "shared", "parent",
                  "status", "merged_into", "tax_code", "note", "receivable", "prepaid_balance",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_owner_name(self, customer) -> str:
        owner = customer.owner
        if owner is None:
            return ""
        return owner.get_full_name() or owner.username


@extend_schema_serializer(examples=[
    OpenApiExample("Vietnamese retail customer", request_only=True, value={
        "name": "Nguyễn Thị Ánh", "phone": "0912 345 678", "email": "anh@example.com",
        "credit_limit": "5000000", "credit_limit_enforced": True}),
    OpenApiExample("Subsidiary of a group company", request_only=True, value={
        "name": "青島市XX建築有限公司-採購部", "phone": "+86 138 1234 5678", "parent": 12,
        "settlement_method": "on_account", "shared": True, "referrer_phone": "0912 000 111"}),
])
class CustomerWriteSerializer(serializers.Serializer):
    code = serializers.CharField(required=False, help_text="Given code; auto KH000001 if absent.")
    name = serializers.CharField()
    phone = serializers.CharField(help_text="Any format; stored in E.164 by the tenant region.")
    email = serializers.CharField(required=False, allow_blank=True)
    address = serializers.CharField(required=False, allow_blank=True)
    group = serializers.IntegerField(required=False, allow_null=True)
    owner = serializers.IntegerField(required=False, allow_null=True,
                                     help_text="Default: the creating user.")
    referrer = serializers.IntegerField(required=False, allow_null=True)
    referrer_phone = serializers.CharField(required=False)
    role = serializers.ChoiceField(Customer.Role.choices, required=False)
    settlement_method = serializers.ChoiceField(Customer.Settlement.choices, required=False)
    prepaid_allowed = serializers.BooleanField(required=False)
    credit_limit = serializers.DecimalField(max_digits=18, decimal_places=2, required=False,
                                            allow_null=True)
    credit_limit_enforced = serializers.BooleanField(required=False)
    payment_terms_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=365,
        help_text="Days from an order's date to its due date; null: the tenant's default.")
    home_branch = serializers.IntegerField(required=False,
                                           help_text="Default: the user's primary branch.")
    shared = serializers.BooleanField(required=False)
    parent = serializers.IntegerField(required=False, allow_null=True)
    status = serializers.ChoiceField(Customer.Status.choices, required=False)
    tax_code = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


CUSTOMER_WRITE_FIELDS = tuple(CustomerWriteSerializer().fields)


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "phone", "email", "position", "primary", "note"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = CustomerDepartment
        fields = ["id", "name", "note"]


class TerminalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Terminal
        fields = ["id", "name", "address", "contact_name", "phone", "note"]


class CustomerAuditSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = CustomerAudit
        fields = ["id", "action", "actor", "at", "changes", "note"]

    def get_actor(self, record) -> str | None:
        return record.actor.username if record.actor else None


class MergeRequestSerializer(serializers.Serializer):
    target = serializers.IntegerField(help_text="The survivor's id.")
    note = serializers.CharField(required=False, allow_blank=True)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)
