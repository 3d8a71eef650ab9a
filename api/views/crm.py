"""CRM API: branches, customer groups, customers (+ contacts, departments, terminals,
audit, deactivate, reactivate, merge). Views call selectors and services only.

A customer the user may not see is a 404 (never a 403: its existence is not revealed).
"""

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from api.base import GenericViewSet
from api.pagination import KeysetPagination, page_of
from api.serializers.crm import (
    CUSTOMER_WRITE_FIELDS,
    BranchSerializer,
    ContactSerializer,
    CustomerAuditSerializer,
    CustomerGroupSerializer,
    CustomerSerializer,
    CustomerWriteSerializer,
    DepartmentSerializer,
    MergeRequestSerializer,
    NoteSerializer,
    TerminalSerializer,
)
from crm import selectors, services
from crm.models import Branch, Contact, Customer, CustomerDepartment, CustomerGroup, Terminal
from crm.staff import branch_create, branch_update


def _body(request, allowed) -> dict:
    data = request.data
    if not hasattr(data, "get"):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    return {k: data.get(k) for k in allowed if k in data}


class BranchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    serializer_class = BranchSerializer
    queryset = Branch.objects.all()
    pagination_class = None

    @extend_schema(request=BranchSerializer, responses={201: BranchSerializer})
    def create(self, request):
        if not request.user.has_perm("crm.add_branch"):
            raise PermissionDenied()
        serializer = BranchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k != "active"}
        return Response(BranchSerializer(branch_create(**fields)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=BranchSerializer, responses=BranchSerializer)
    def partial_update(self, request, pk=None):
        if not request.user.has_perm("crm.change_branch"):
            raise PermissionDenied()
        serializer = BranchSerializer(self.get_object(), data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k != "code"}
        return Response(BranchSerializer(branch_update(branch=self.get_object(),
                                                       **fields)).data)


class CustomerGroupViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GenericViewSet):
    serializer_class = CustomerGroupSerializer
    queryset = CustomerGroup.objects.all()
    pagination_class = None

    @extend_schema(request=CustomerGroupSerializer, responses={201: CustomerGroupSerializer})
    def create(self, request):
        group = services.customer_group_create(
            actor=request.user, **_body(request, ("code", "name", "note")))
        return Response(CustomerGroupSerializer(group).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomerGroupSerializer, responses=CustomerGroupSerializer)
    def partial_update(self, request, pk=None):
        group = services.customer_group_update(actor=request.user, group=self.get_object(),
                                               **_body(request, ("code", "name", "note")))
        return Response(CustomerGroupSerializer(group).data)

    def destroy(self, request, pk=None):
        services.customer_group_delete(actor=request.user, group=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


LIST_FILTERS = selectors.CUSTOMER_LIST_FILTERS
CUSTOMER_ORDERINGS = selectors.CUSTOMER_ORDERINGS

_list_parameters = [
    OpenApiParameter("search", description="Name without diacritics, CJK fragment, phone in "
                     "any format or prefix, code, e-mail.", examples=[]),
    *(OpenApiParameter(name) for name in LIST_FILTERS[1:]),
    OpenApiParameter("ordering", enum=[*CUSTOMER_ORDERINGS, *(f"-{o}" for o in
                                                              CUSTOMER_ORDERINGS)]),
    OpenApiParameter("cursor"), OpenApiParameter("page_size", int),
]


customer_list_filters = selectors.customer_list_filters  # the export takes the same dict


# One entry per kind of record under a customer: model, serializer, services.
CHILDREN = {
    "contacts": (Contact, ContactSerializer, services.contact_create, services.contact_update,
                 services.contact_delete, "contact"),
    "departments": (CustomerDepartment, DepartmentSerializer, services.department_create,
                    services.department_update, services.department_delete, "department"),
    "terminals": (Terminal, TerminalSerializer, services.terminal_create,
                  services.terminal_update, services.terminal_delete, "terminal"),
}


class CustomerViewSet(GenericViewSet):
    serializer_class = CustomerSerializer
    pagination = KeysetPagination(orderings=CUSTOMER_ORDERINGS, default_ordering="-created")

    def get_queryset(self):
        return selectors.customer_visible(self.request.user)

    def _customer(self, pk) -> Customer:
        try:
            return selectors.customer_get(user=self.request.user, customer_id=pk)
        except Customer.DoesNotExist:
            raise Http404 from None

    def _detail(self, customer: Customer, http_status=status.HTTP_200_OK) -> Response:
        fresh = selectors.customer_get(user=self.request.user, customer_id=customer.pk) \
            if customer.pk else customer
        return Response(CustomerSerializer(fresh).data, status=http_status)

    @extend_schema(parameters=_list_parameters, responses=page_of(CustomerSerializer,
                                                                  "CustomerPage"))
    def list(self, request):
        try:
            qs, search = selectors.customer_list_parts(
                user=request.user, filters=customer_list_filters(request.query_params))
        except ValueError as exc:
            raise ValidationError({str(exc) if str(exc) in LIST_FILTERS else "filters": [
                _("Invalid filter value.")]}) from None

        def fetch(queryset, order, limit):
            return selectors.customer_rows(queryset, search, order=order, limit=limit,
                                           user=request.user)

        rows, next_url, previous_url = self.pagination.paginate(qs, request, fetch)
        return self.pagination.response(CustomerSerializer(rows, many=True).data, next_url,
                                        previous_url)

    def retrieve(self, request, pk=None):
        return self._detail(self._customer(pk))

    @extend_schema(request=CustomerWriteSerializer, responses={201: CustomerSerializer})
    def create(self, request):
        customer = services.customer_create(actor=request.user,
                                            **_body(request, CUSTOMER_WRITE_FIELDS))
        return self._detail(customer, status.HTTP_201_CREATED)

    @extend_schema(request=CustomerWriteSerializer, responses=CustomerSerializer)
    def partial_update(self, request, pk=None):
        customer = services.customer_update(actor=request.user, customer=self._customer(pk),
                                            **_body(request, CUSTOMER_WRITE_FIELDS))
        return self._detail(customer)

    update = partial_update

    def destroy(self, request, pk=None):
        services.customer_delete(actor=request.user, customer=self._customer(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=NoteSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        customer = services.customer_deactivate(actor=request.user, customer=self._customer(pk),
                                                note=str(request.data.get("note") or ""))
        return self._detail(customer)

    @extend_schema(request=NoteSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        customer = services.customer_reactivate(actor=request.user, customer=self._customer(pk),
                                                note=str(request.data.get("note") or ""))
        return self._detail(customer)

    @extend_schema(responses=page_of(CustomerAuditSerializer, "CustomerAuditPage"))
    @action(detail=True, methods=["get"])
    def audit(self, request, pk=None):
        records = selectors.customer_audit_list(customer=self._customer(pk))[:500]
        return Response({"results": CustomerAuditSerializer(records, many=True).data,
                         "next": None, "previous": None})

    def _merge_pair(self, request, pk, target_id):
        source = self._customer(pk)
        try:
            target = self._customer(int(target_id))
        except (TypeError, ValueError):
            raise ValidationError({"target": [_("A customer id.")]}) from None
        return source, target

    @extend_schema(parameters=[OpenApiParameter("target", int, required=True)],
                   responses=dict)
    @action(detail=True, methods=["get"], url_path="merge-preview")
    def merge_preview(self, request, pk=None):
        source, target = self._merge_pair(request, pk, request.query_params.get("target"))
        return Response(services.customer_merge_preview(actor=request.user, source=source,
                                                        target=target))

    @extend_schema(request=MergeRequestSerializer, responses=CustomerSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        source, target = self._merge_pair(request, pk, request.data.get("target"))
        survivor = services.customer_merge(actor=request.user, source=source, target=target,
                                           note=str(request.data.get("note") or ""))
        return self._detail(survivor)

    def _children(self, request, pk, kind):
        model, serializer, create, _update, _delete, name = CHILDREN[kind]
        customer = self._customer(pk)
        if request.method == "GET":
            rows = model.objects.filter(customer=customer)
            return Response({"results": serializer(rows, many=True).data, "next": None,
                             "previous": None})
        with transaction.atomic():
            child = create(actor=request.user, customer=customer,
                           **_body(request, serializer.Meta.fields[1:]))
        return Response(serializer(child).data, status=status.HTTP_201_CREATED)

    def _child(self, request, pk, child_id, kind):
        model, serializer, _create, update, delete, name = CHILDREN[kind]
        customer = self._customer(pk)
        child = model.objects.filter(customer=customer, pk=child_id).first()
        if child is None:
            raise Http404
        if request.method == "DELETE":
            delete(actor=request.user, **{name: child})
            return Response(status=status.HTTP_204_NO_CONTENT)
        child = update(actor=request.user, **{name: child},
                       **_body(request, serializer.Meta.fields[1:]))
        return Response(serializer(child).data)

    @extend_schema(methods=["GET"], responses=page_of(ContactSerializer, "ContactPage"))
    @extend_schema(methods=["POST"], request=ContactSerializer,
                   responses={201: ContactSerializer})
    @action(detail=True, methods=["get", "post"])
    def contacts(self, request, pk=None):
        return self._children(request, pk, "contacts")

    @extend_schema(request=ContactSerializer, responses=ContactSerializer)
    @action(detail=True, methods=["patch", "delete"], url_path=r"contacts/(?P<child_id>\d+)")
    def contact(self, request, pk=None, child_id=None):
        return self._child(request, pk, child_id, "contacts")

    @extend_schema(methods=["GET"], responses=page_of(DepartmentSerializer, "DepartmentPage"))
    @extend_schema(methods=["POST"], request=DepartmentSerializer,
                   responses={201: DepartmentSerializer})
    @action(detail=True, methods=["get", "post"])
    def departments(self, request, pk=None):
        return self._children(request, pk, "departments")

    @extend_schema(request=DepartmentSerializer, responses=DepartmentSerializer)
    @action(detail=True, methods=["patch", "delete"],
            url_path=r"departments/(?P<child_id>\d+)")
    def department(self, request, pk=None, child_id=None):
        return self._child(request, pk, child_id, "departments")

    @extend_schema(methods=["GET"], responses=page_of(TerminalSerializer, "TerminalPage"))
    @extend_schema(methods=["POST"], request=TerminalSerializer,
                   responses={201: TerminalSerializer})
    @action(detail=True, methods=["get", "post"])
    def terminals(self, request, pk=None):
        return self._children(request, pk, "terminals")

    @extend_schema(request=TerminalSerializer, responses=TerminalSerializer)
    @action(detail=True, methods=["patch", "delete"], url_path=r"terminals/(?P<child_id>\d+)")
    def terminal(self, request, pk=None, child_id=None):
        return self._child(request, pk, child_id, "terminals")
