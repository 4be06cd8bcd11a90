"""The dispute taxonomy (纠纷类型): the kinds of dispute a mediation case is filed under.

Defined here, below the disputes app, because the law library's consultation reads it too (a known
type favours its kinds of dispute, ``laws.lexicon``); ``gridgov.disputes.models.DisputeType`` is this.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DisputeType(models.TextChoices):
    MARRIAGE = "marriage", _("婚姻家庭")
    NEIGHBOR = "neighbor", _("邻里")
    HOUSING = "housing", _("房屋宅基地")
    LAND = "land", _("土地承包")
    LABOR = "labor", _("劳动争议/欠薪")
    PROPERTY = "property", _("物业")
    EXPROPRIATION = "expropriation", _("征地拆迁")
    MEDICAL = "medical", _("医疗")
    TRAFFIC = "traffic", _("交通事故")
    CONSUMER = "consumer", _("消费")
    CONTRACT = "contract", _("合同债务")
    ENVIRONMENT = "environment", _("环境")
    OTHER = "other", _("其他")
