"""Input/output serializers of the results API (one set per operation). Inputs are strict: an
undeclared key is a 400 field error."""

from __future__ import annotations

from rest_framework import serializers

from renshi.org.api.serializers import StrictInputSerializer

# --- input --------------------------------------------------------------------------------------


class VersionInputSerializer(StrictInputSerializer):
    version = serializers.IntegerField(min_value=0)


class ReasonInputSerializer(VersionInputSerializer):
    reason = serializers.CharField(max_length=4000)


class CalibrateInputSerializer(ReasonInputSerializer):
    grade = serializers.CharField(max_length=32, allow_blank=True)


class AppealCreateInputSerializer(ReasonInputSerializer):
    pass


class ItemChangeInputSerializer(StrictInputSerializer):
    item = serializers.IntegerField()
    actual = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)
    rating = serializers.DecimalField(max_digits=5, decimal_places=2, required=False, min_value=0)


class AppealHandleInputSerializer(ReasonInputSerializer):
    action = serializers.ChoiceField(choices=["rescore", "reject"])
    items = ItemChangeInputSerializer(many=True, required=False)


class ImprovementPlanInputSerializer(StrictInputSerializer):
    version = serializers.IntegerField(min_value=0, required=False)
    goals = serializers.CharField(max_length=4000)
    actions = serializers.CharField(max_length=4000)
    review_date = serializers.DateField()


# --- output -------------------------------------------------------------------------------------


class ResultRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GradeCountSerializer(serializers.Serializer):
    grade = serializers.CharField()
    label = serializers.CharField()
    share = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    quota = serializers.IntegerField(allow_null=True)
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    over_quota = serializers.BooleanField()


class DistributionSerializer(serializers.Serializer):
    label = serializers.CharField()
    size = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    counts = GradeCountSerializer(many=True)


class OutcomeSerializer(serializers.Serializer):
    grade = serializers.CharField()
    raise_percent = serializers.DecimalField(max_digits=6, decimal_places=2)
    bonus_coefficient = serializers.DecimalField(max_digits=6, decimal_places=2)


class ResultRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    employee = ResultRefSerializer()
    department = ResultRefSerializer()
    status = serializers.CharField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    grade = serializers.CharField()
    calibrated_grade = serializers.CharField()
    final_grade = serializers.CharField()
    calibration_reason = serializers.CharField()
    complete = serializers.BooleanField()
    over_quota = serializers.BooleanField()
    outcome = OutcomeSerializer(allow_null=True)
    version = serializers.IntegerField()


class PromotionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    employee = ResultRefSerializer()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    final_grade = serializers.CharField()
    trace = serializers.ListField(child=serializers.CharField())


class PlanRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class ResultsOutputSerializer(serializers.Serializer):
    plan = PlanRefSerializer()
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    distribution = DistributionSerializer()
    departments = DistributionSerializer(many=True)
    outcomes = OutcomeSerializer(many=True)
    promotions = PromotionSerializer(many=True)
    results = ResultRowSerializer(many=True)


class IndicatorLineSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    name = serializers.CharField()
    category = serializers.CharField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    target = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    actual = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    rating = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    score = serializers.CharField(allow_null=True)
    points = serializers.CharField(allow_null=True)
    trace = serializers.ListField(child=serializers.CharField())


class AppealOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    reason = serializers.CharField()
    response = serializers.CharField()
    created_at = serializers.DateTimeField()
    handled_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    rescore = serializers.DictField(allow_null=True)


class ImprovementPlanOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    goals = serializers.CharField()
    actions = serializers.CharField()
    review_date = serializers.DateField()
    version = serializers.IntegerField()


class HistorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    plan = serializers.CharField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    final_grade = serializers.CharField()


class ReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    plan = PlanRefSerializer()
    employee = ResultRefSerializer()
    department = ResultRefSerializer()
    status = serializers.CharField()
    version = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    grade = serializers.CharField()
    calibrated_grade = serializers.CharField()
    calibration_reason = serializers.CharField()
    final_grade = serializers.CharField()
    grade_label = serializers.CharField()
    complete = serializers.BooleanField()
    subtotals = serializers.DictField()
    outcome = OutcomeSerializer(allow_null=True)
    indicators = IndicatorLineSerializer(many=True)
    trace = serializers.ListField(child=serializers.CharField())
    self_comment = serializers.CharField()
    manager_comment = serializers.CharField()
    appeals = AppealOutputSerializer(many=True)
    improvement_plan = ImprovementPlanOutputSerializer(allow_null=True)
    history = HistorySerializer(many=True)
    appeal_deadline = serializers.DateTimeField(allow_null=True)
