"""Customer import and export and statement batches (exchange): jobs, their files, the
template."""

from django.urls import path

from api.views import exchange, statement_batch

urlpatterns = [
    path("imports/customers/template", exchange.ImportTemplateView.as_view(),
         name="import-template"),
    path("imports/customers", exchange.ImportCustomersView.as_view(), name="import-customers"),
    path("imports/<int:pk>", exchange.ImportJobView.as_view(), name="import-job"),
    path("imports/<int:pk>/rerun", exchange.ImportRerunView.as_view(), name="import-rerun"),
    path("imports/<int:pk>/error-file", exchange.ImportErrorFileView.as_view(),
         name="import-error-file"),
    path("exports/customers", exchange.ExportCustomersView.as_view(), name="export-customers"),
    path("exports/<int:pk>", exchange.ExportJobView.as_view(), name="export-job"),
    path("exports/<int:pk>/rerun", exchange.ExportRerunView.as_view(), name="export-rerun"),
    path("exports/<int:pk>/file", exchange.ExportFileView.as_view(), name="export-file"),
    path("statements/batch", statement_batch.StatementBatchCreateView.as_view(),
         name="statement-batch"),
    path("statements/batch/<int:pk>", statement_batch.StatementBatchView.as_view(),
         name="statement-batch-job"),
    path("statements/batch/<int:pk>/rerun", statement_batch.StatementBatchRerunView.as_view(),
         name="statement-batch-rerun"),
    path("statements/batch/<int:pk>/file", statement_batch.StatementBatchFileView.as_view(),
         name="statement-batch-file"),
]
