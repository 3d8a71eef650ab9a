"""Finance API (DESIGN §6): catalogue, orders, vouchers, the customer's finance tabs and
actions, reports. Views parse and authorise; finance services do the writing."""

import datetime
from collections.abc import Callable

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from api.base import APIView, GenericViewSet, ModelViewSet
from api.pagination import PagePagination
from api.serializers import finance as s
from crm.models import Customer
from crm.selectors import customer_visible, customer_visible_check
from finance import catalogue, orders, selectors, statements, vouchers
from finance.ledger import Book
from finance.models import AgreementPrice, Order, PaymentMethod, Product, Voucher
from tenants.current import tenant_current


class HasFinancePermission(BasePermission):
    """`required_perms` on the view: {action or HTTP method: (perm, ...)}."""

    def has_permission(self, request, view):
        key = getattr(view, "action", None) or request.method
        needed = getattr(view, "required_perms", {}).get(key, ())
        return all(request.user.has_perm(perm) for perm in needed)


def _customer_get(request, pk: int) -> Customer:
    return get_object_or_404(customer_visible(request.user), pk=pk)


def _int_param(request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({name: [_("A whole number is required.")]}) from None
    if not -2**63 < number < 2**63:  # beyond any id: a 400, not the database's error
        raise ValidationError({name: [_("A whole number is required.")]})
    return number


def _choice_param(request, name: str, choices, default: str) -> str:
    value = (request.query_params.get(name) or default).lower()
    if value not in choices:
        raise ValidationError({name: [_("Choose one of: %(choices)s.")
                                      % {"choices": ", ".join(choices)}]})
    return value


# --- catalogue ---------------------------------------------------------------------------

class ProductViewSet(ModelViewSet):
    queryset = Product.objects.none()  # the schema's model; get_queryset filters
    serializer_class = s.ProductSerializer
    pagination_class = PagePagination
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"list": ("finance.view_product",), "retrieve": ("finance.view_product",),
                      "create": ("finance.add_product",), "update": ("finance.change_product",),
                      "partial_update": ("finance.change_product",),
                      "destroy": ("finance.delete_product",)}

    def get_queryset(self):
        active = self.request.query_params.get("active")
        return selectors.product_list(search=self.request.query_params.get("search"),
                                      active={"true": True, "false": False}.get(active))

    def perform_create(self, serializer):
        serializer.instance = catalogue.product_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = catalogue.product_update(product=serializer.instance,
                                                       **serializer.validated_data)

    def perform_destroy(self, instance):
        catalogue.product_delete(product=instance)


class AgreementPriceViewSet(ModelViewSet):
    queryset = AgreementPrice.objects.none()  # the schema's model; get_queryset filters
    serializer_class = s.AgreementPriceSerializer
    pagination_class = PagePagination
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"list": ("finance.view_agreementprice",),
                      "retrieve": ("finance.view_agreementprice",),
                      "create": ("finance.add_agreementprice",),
                      "update": ("finance.change_agreementprice",),
                      "partial_update": ("finance.change_agreementprice",),
                      "destroy": ("finance.delete_agreementprice",)}

    def get_queryset(self):
        return selectors.agreement_price_list(
            user=self.request.user, product_id=_int_param(self.request, "product"),
            customer_id=_int_param(self.request, "customer"),
            group_id=_int_param(self.request, "group"))

    def perform_create(self, serializer):
        # catalogue's services take no actor yet: the price's customer is checked here
        customer_visible_check(user=self.request.user,
                               customer=serializer.validated_data.get("customer"))
        serializer.instance = catalogue.agreement_price_create(**serializer.validated_data)

    def perform_update(self, serializer):
        customer_visible_check(user=self.request.user,
                               customer=serializer.validated_data.get("customer"))
        serializer.instance = catalogue.agreement_price_update(price=serializer.instance,
                                                               **serializer.validated_data)

    def perform_destroy(self, instance):
        catalogue.agreement_price_delete(price=instance)


class PaymentMethodViewSet(mixins.ListModelMixin, mixins.CreateModelMixin,
                           mixins.UpdateModelMixin, GenericViewSet):
    """The tenant's own payment methods (QR wallets) next to cash, card, transfer, prepaid."""

    serializer_class = s.PaymentMethodSerializer
    queryset = PaymentMethod.objects.all()
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"create": ("finance.add_paymentmethod",),
                      "update": ("finance.change_paymentmethod",),
                      "partial_update": ("finance.change_paymentmethod",)}

    def perform_create(self, serializer):
        serializer.instance = catalogue.payment_method_save(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = catalogue.payment_method_save(method=serializer.instance,
                                                            **serializer.validated_data)


# --- orders ------------------------------------------------------------------------------

class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    queryset = Order.objects.none()  # the schema's model; get_queryset filters
    serializer_class = s.OrderSerializer
    pagination_class = PagePagination
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"list": ("finance.view_order",), "retrieve": ("finance.view_order",),
                      "create": ("finance.add_order",), "approve": ("finance.add_order",),
                      "cancel": ("finance.cancel_order",)}

    def get_queryset(self):
        return selectors.order_list(user=self.request.user,
                                    customer_id=_int_param(self.request, "customer"),
                                    status=self.request.query_params.get("status"))

    @extend_schema(request=s.OrderCreateSerializer, responses={201: s.OrderSerializer})
    def create(self, request):
        form = s.OrderCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        order = orders.order_create(
            actor=request.user, customer=data.get("customer"),
            new_customer=data.get("new_customer"), branch=data.get("branch"),
            channel=data["channel"],
            lines=[orders.LineInput(product=line["product"], quantity=line["quantity"],
                                    unit_price=line.get("unit_price")) for line in data["lines"]],
            paid_amount=data["paid_amount"], payment_method=data["payment_method"],
            coins_redeem=data["coins_redeem"], department=data.get("department"),
            terminal=data.get("terminal"), note=data["note"], approve=data["approve"])
        return Response(s.OrderSerializer(order).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.OrderSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        order = orders.order_approve(order=self.get_object(), actor=request.user)
        return Response(s.OrderSerializer(order).data)

    @extend_schema(request=s.OrderCancelSerializer, responses={200: s.OrderSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        form = s.OrderCancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        order = orders.order_cancel(order=self.get_object(), actor=request.user,
                                    reason=form.validated_data["reason"],
                                    refund_method=form.validated_data["refund_method"])
        return Response(s.OrderSerializer(order).data)


# --- vouchers ----------------------------------------------------------------------------

class VoucherViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    queryset = Voucher.objects.none()  # the schema's model; get_queryset filters
    serializer_class = s.VoucherSerializer
    pagination_class = PagePagination
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"list": ("finance.view_voucher",), "retrieve": ("finance.view_voucher",),
                      "cancel": ("finance.cancel_voucher",)}

    def get_queryset(self):
        params = self.request.query_params
        return selectors.voucher_list(user=self.request.user,
                                      customer_id=_int_param(self.request, "customer"),
                                      type=params.get("type"), status=params.get("status"),
                                      purpose=params.get("purpose"))

    @extend_schema(request=s.ReasonSerializer, responses={200: s.VoucherSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        form = s.ReasonSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        voucher = vouchers.voucher_cancel(voucher=self.get_object(), actor=request.user,
                                          note=form.validated_data["reason"]
                                          or form.validated_data["note"])
        return Response(s.VoucherSerializer(voucher).data)


# --- a customer's finance tabs and actions ------------------------------------------------

class CustomerEntriesView(APIView):
    """GET customers/{id}/ledger (receivable), /prepaid, /coins: every entry with the
    balance after it, oldest first."""

    book = Book.RECEIVABLE
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"GET": ("finance.view_voucher",)}

    @extend_schema(responses={200: s.LedgerRowSerializer(many=True)})
    def get(self, request, pk: int):
        customer = _customer_get(request, pk)
        pages = PagePagination()
        page = pages.paginate_queryset(
            selectors.customer_entries_list(customer=customer, book=self.book), request, self)
        row_serializer = s.CoinRowSerializer if self.book == Book.COINS else s.LedgerRowSerializer
        rows = [selectors.ledger_row(entry) for entry in page]
        return pages.get_paginated_response(row_serializer(rows, many=True).data)


class CustomerPrepaidView(CustomerEntriesView):
    book = Book.PREPAID


class CustomerCoinsView(CustomerEntriesView):
    book = Book.COINS


class CustomerPurchasesView(APIView):
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"GET": ("finance.view_order",)}

    @extend_schema(responses={200: s.OrderSerializer(many=True)})
    def get(self, request, pk: int):
        customer = _customer_get(request, pk)
        pages = PagePagination()
        page = pages.paginate_queryset(selectors.customer_purchases_list(customer=customer),
                                       request, self)
        return pages.get_paginated_response(s.OrderSerializer(page, many=True).data)


class CustomerAgingView(APIView):
    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"GET": ("finance.view_voucher",)}

    @extend_schema(responses={200: dict})
    def get(self, request, pk: int):
        aging = selectors.customer_aging(customer=_customer_get(request, pk))
        return Response({"customer": aging["customer"],
                         "receivable": s._amount_text(aging["receivable"]),
                         "buckets": s.buckets_out(aging["buckets"])})


class _CustomerVoucherAction(APIView):
    """POST on a customer that makes one voucher through `service`: 201 with the voucher.
    The input serializer's fields are the service's keyword arguments. Each subclass names
    its serializer, service and permission, and restates `post` to carry its schema."""

    input_serializer: type[serializers.Serializer]
    service: Callable[..., Voucher]
    permission_classes = [IsAuthenticated, HasFinancePermission]

    def voucher_make(self, request, customer, data) -> Voucher:
        return self.service(customer=customer, actor=request.user, **data)

    def post(self, request, pk: int):
        customer = _customer_get(request, pk)
        form = self.input_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        voucher = self.voucher_make(request, customer, form.validated_data)
        return Response(s.VoucherSerializer(voucher).data, status=status.HTTP_201_CREATED)


class CustomerPaymentsView(_CustomerVoucherAction):
    """A receipt (PT); more than the receivable goes to prepaid when allowed."""

    input_serializer = s.PaymentInputSerializer
    service = staticmethod(vouchers.payment_record)
    required_perms = {"POST": ("finance.add_voucher",)}

    @extend_schema(request=s.PaymentInputSerializer, responses={201: s.VoucherSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)


class CustomerPrepaidTopupView(_CustomerVoucherAction):
    """A receipt (PT) onto the prepaid balance."""

    input_serializer = s.PrepaidInputSerializer
    service = staticmethod(vouchers.prepaid_topup)
    required_perms = {"POST": ("finance.add_voucher",)}

    @extend_schema(request=s.PrepaidInputSerializer, responses={201: s.VoucherSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)


class CustomerPrepaidRefundView(_CustomerVoucherAction):
    """A payment (PC) out of the prepaid balance."""

    input_serializer = s.PrepaidInputSerializer
    service = staticmethod(vouchers.prepaid_refund)
    required_perms = {"POST": ("finance.refund_prepaid",)}

    @extend_schema(request=s.PrepaidInputSerializer, responses={201: s.VoucherSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)


class CustomerOpeningBalanceView(_CustomerVoucherAction):
    """The receivable a customer brings when the tenant moves in (once)."""

    input_serializer = s.OpeningBalanceInputSerializer
    service = staticmethod(vouchers.opening_balance_set)
    required_perms = {"POST": ("finance.set_opening_balance",)}

    @extend_schema(request=s.OpeningBalanceInputSerializer,
                   responses={201: s.VoucherSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)


class CustomerDebtAdjustView(_CustomerVoucherAction):
    """A payment voucher (PC) whose amount is the signed change to `target_receivable`."""

    input_serializer = s.DebtAdjustInputSerializer
    service = staticmethod(vouchers.debt_adjust)
    required_perms = {"POST": ("finance.adjust_debt",)}

    @extend_schema(request=s.DebtAdjustInputSerializer, responses={201: s.VoucherSerializer})
    def post(self, request, pk: int):
        return super().post(request, pk)

    def voucher_make(self, request, customer, data):
        data = dict(data)
        write_off = data.pop("purpose") == "write_off"
        return self.service(customer=customer, actor=request.user, write_off=write_off,
                            **data)


class _FormatIsOurs(DefaultContentNegotiation):
    """`?format=` names the statement's format here, not a DRF renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CustomerStatementView(APIView):
    """GET customers/{id}/statement?from=&to=&format=pdf|xlsx|json&lang=vi|zh-hant|en
    (&consolidated=1 for a group company): from and to are the tenant's local dates,
    inclusive; they default to this month so far."""

    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"GET": ("finance.view_report",)}
    content_negotiation_class = _FormatIsOurs
    formats = {"json": None, "pdf": "application/pdf",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    languages = ("vi", "zh-hant", "en")

    @staticmethod
    def _date(request, name: str, default: datetime.date) -> datetime.date:
        value = request.query_params.get(name)
        if value in (None, ""):
            return default
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise ValidationError({name: [_("A date like 2026-01-31 is required.")]}) from None

    @extend_schema(parameters=[
        OpenApiParameter("from", str), OpenApiParameter("to", str),
        OpenApiParameter("format", enum=["json", "pdf", "xlsx"]),
        OpenApiParameter("lang", enum=["vi", "zh-hant", "en"]),
        OpenApiParameter("consolidated", bool)], responses={200: dict})
    def get(self, request, pk: int):
        customer = _customer_get(request, pk)
        tenant = tenant_current()
        today = timezone.now().astimezone(tenant.timezone).date()
        period_from = self._date(request, "from", today.replace(day=1))
        period_to = self._date(request, "to", today)
        kind = _choice_param(request, "format", self.formats, "json")
        lang = _choice_param(request, "lang", self.languages, tenant.locale)
        consolidated = _choice_param(request, "consolidated",
                                    ("1", "0", "true", "false"), "0") in ("1", "true")
        members = None
        if consolidated:
            members = statements.group_members_visible(user=request.user, customer=customer)
        with translation.override(lang):
            statement = statements.statement_build(
                customer=customer, period_from=period_from, period_to=period_to,
                consolidated=consolidated, members=members)
            if kind == "json":
                return Response(statements.statement_as_dict(statement))
            from finance import statement_formats

            body = (statement_formats.statement_pdf(statement) if kind == "pdf"
                    else statement_formats.statement_xlsx(statement))
        response = HttpResponse(body, content_type=self.formats[kind])
        name = f"statement-{customer.code}-{period_from}-{period_to}.{kind}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# --- reports -----------------------------------------------------------------------------

class AgingReportView(APIView):
    """GET reports/aging?by=branch|owner&branch=&owner=&group=&format=json|xlsx&lang=: the
    receivable of the customers the user may see by days past due, a row per home branch
    or owner and the total (which equals their receivable)."""

    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"GET": ("finance.view_report",)}
    content_negotiation_class = _FormatIsOurs
    formats = CustomerStatementView.formats.keys() - {"pdf"}

    @extend_schema(parameters=[
        OpenApiParameter("by", enum=["branch", "owner"]), OpenApiParameter("branch", int),
        OpenApiParameter("owner", int), OpenApiParameter("group", int),
        OpenApiParameter("format", enum=["json", "xlsx"]),
        OpenApiParameter("lang", enum=["vi", "zh-hant", "en"])],
        responses={(200, "application/json"): dict,
                   (200, CustomerStatementView.formats["xlsx"]): bytes})
    def get(self, request):
        by = _choice_param(request, "by", selectors.AGING_BY, "branch")
        kind = _choice_param(request, "format", sorted(self.formats), "json")
        languages = CustomerStatementView.languages
        active = (translation.get_language() or "").lower()
        lang = _choice_param(request, "lang", languages,
                             active if active in languages else tenant_current().locale)
        rows = selectors.aging_report_list(
            user=request.user, by=by, branch_id=_int_param(request, "branch"),
            owner_id=_int_param(request, "owner"), group_id=_int_param(request, "group"))
        total = selectors.aging_total(rows)
        names = selectors.aging_group_names(by=by, keys=[row[by] for row in rows])
        if kind == "json":
            return Response({
                "by": by,
                "results": [{by: row[by], "name": names.get(row[by], ""),
                             "receivable": s._amount_text(row["receivable"]),
                             "buckets": s.buckets_out(row["buckets"])} for row in rows],
                "total": {"receivable": s._amount_text(total["receivable"]),
                          "buckets": s.buckets_out(total["buckets"])}})
        from finance.report_formats import aging_report_xlsx

        with translation.override(lang):
            body = aging_report_xlsx(by=by, rows=rows, total=total, names=names,
                                     currency=tenant_current().currency)
        response = HttpResponse(body, content_type=CustomerStatementView.formats["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="aging-{by}.xlsx"'
        return response


class DailyReportView(APIView):
    """營業日報: every role may see it for the branches they work at."""

    @extend_schema(parameters=[OpenApiParameter("branch", int), OpenApiParameter("day", str)],
                   responses={200: dict})
    def get(self, request):
        try:
            day = datetime.date.fromisoformat(request.query_params["day"]) \
                if request.query_params.get("day") else None
        except ValueError:
            raise ValidationError({"day": [_("A date like 2026-01-31 is required.")]}) from None
        report = selectors.daily_report_get(user=request.user,
                                            branch_id=_int_param(request, "branch"), day=day)
        money_keys = ("sales", "receivable_new", "receivable_collected", "prepaid_in",
                      "prepaid_out")
        return Response({**report, **{k: s._amount_text(report[k]) for k in money_keys},
                         **{key: {m: s._amount_text(a) for m, a in report[key].items()}
                            for key in ("receipts_by_method", "paid_out_by_method")}})


class FinanceSettingsView(APIView):
    """The tenant's coin rule (one coin per `coin_earn_step`, each worth `coin_value`) and
    the default payment terms of customers without their own."""

    permission_classes = [IsAuthenticated, HasFinancePermission]
    required_perms = {"PATCH": ("finance.change_financesettings",)}

    @extend_schema(responses={200: s.FinanceSettingsSerializer})
    def get(self, request):
        return Response(s.FinanceSettingsSerializer(orders.finance_settings()).data)

    @extend_schema(request=s.FinanceSettingsSerializer,
                   responses={200: s.FinanceSettingsSerializer})
    def patch(self, request):
        form = s.FinanceSettingsSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        found = orders.finance_settings_update(**form.validated_data)
        return Response(s.FinanceSettingsSerializer(found).data)
