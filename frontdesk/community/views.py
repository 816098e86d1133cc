from django.http import HttpResponse

from frontdesk.desk.permissions import agent_required


def home(request):
    return HttpResponse("community")


@agent_required
def moderation(request):
    return HttpResponse("moderation")
