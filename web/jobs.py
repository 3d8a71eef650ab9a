"""What the job pages share: a job this user may read or a 404, a job started once per
form token (a double tap opens the same job), the page or its polled fragment."""

from django.http import Http404
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

from exchange.exceptions import JobNotFound
from web.tokens import token_claim, token_done, token_release


def job_or_404(get, request, pk: int):
    """`get` is an exchange selector (import_job_get, ...): crm.jobs decides."""
    try:
        return get(user=request.user, pk=pk)
    except JobNotFound:
        raise Http404 from None


def _go(request, url: str):
    """htmx is told to load the job's page as a page, not to swap it into the form."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def job_start_once(request, token, start, url_of):
    """Run `start()` (which queues a job) unless this token already did; a redirect to the
    job's page either way, or None while the first request is still starting it."""
    done = token_claim(token)
    if done:
        return _go(request, done)
    if done is not None:
        return None
    try:
        job = start()
    except Exception:
        token_release(token)
        raise
    url = url_of(job)
    token_done(token, url)
    return _go(request, url)


def job_page(request, template: str, context: dict):
    """The job's page; htmx's poll gets only the `job` fragment, which stops asking once
    the job has finished (the finished fragment has no trigger)."""
    if request.htmx and not request.htmx.history_restore_request:
        template += "#job"
    return render(request, template, context)
