from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "iso_code", "name_ru", "name_en", "federal_district",
                    "federal_subject"]
    search_fields = ["code", "iso_code", "name_ru", "name_en"]
    list_filter = ["federal_district", "federal_subject"]
