from django.forms import renderers
from django.template import TemplateDoesNotExist


class FormRenderer(renderers.Jinja2):
    """Django's own widgets from their Jinja2 templates: the same HTML as the template language's,
    several times faster (a select spent an include per option on its attributes). Widgets that
    only have templates in the template language, such as the admin's, render from those."""

    fallback = renderers.DjangoTemplates()

    def get_template(self, template_name):
        try:
            return super().get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
