"""Law library in the admin: read-mostly.  Laws come from ``manage.py import_laws``; the admin can
look, search and correct a law's status, not add or edit articles (a re-import would undo it)."""

from django.contrib import admin

from gridgov.laws.models import Article, Law


class ArticleInline(admin.TabularInline):
    model = Article
    fields = ("label", "chapter", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Law)
class LawAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "status", "promulgated", "effective", "source")
    list_filter = ("status", "kind", "department")
    search_fields = ("title", "issuing_body")
    readonly_fields = ("key", "title", "issuing_body", "kind", "level", "department", "promulgated", "effective",
                       "source", "updated_at")
    inlines = [ArticleInline]

    def has_add_permission(self, request):
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "chapter")
    list_select_related = ("law",)
    search_fields = ("law__title", "label", "text")
    readonly_fields = ("law", "position", "number", "label", "chapter", "text")
    exclude = ("tokens",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
