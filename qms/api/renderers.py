from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API without the inline <style> it writes when Pygments is installed (a
    Content-Security-Policy with style-src 'self' refuses it). Pygments colours only the code in
    Markdown descriptions, which need the markdown package: the API has none, so nothing is lost."""

    def get_context(self, *args, **kwargs):
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context
