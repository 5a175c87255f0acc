"""Provider problems were stored with the client's exception class name (`params.type`) and
worded by rebuilding the exception; they now store the reason itself (`params.reason`)."""

from django.db import migrations

# What each stored class name meant, as studio.chanjing.explain.reason_of() names it now.
REASONS = {
    "UploadRejected": "upload_rejected",
    "UploadTimeout": "upload_timeout",
    "AmbiguousSubmit": "ambiguous_submit",
}
WITHOUT_CODE = {
    "TransportError": "unreachable",
    "ParamError": "refused_before_sending",
    "AuthError": "sign_in_failed",
}


def forwards(apps, schema_editor):
    Generation = apps.get_model("generations", "Generation")
    for generation in Generation.objects.filter(error_kind="provider").only("pk", "error_code", "error_params"):
        params = dict(generation.error_params or {})
        if "type" not in params:
            continue
        name = params.pop("type")
        reason = REASONS.get(name, "")
        if not reason and generation.error_code is None:
            reason = WITHOUT_CODE.get(name, "")
        params["reason"] = reason
        Generation.objects.filter(pk=generation.pk).update(error_params=params)


class Migration(migrations.Migration):
    dependencies = [("generations", "0006_saved_prompt_unique_name")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
