"""Fixed data of the demo company: departments, positions, leaders, names.

Everything that varies (names, dates, ID numbers) is drawn from ``random.Random(SEED)`` in
``services.py``, so the same command always builds the same company.
"""

from __future__ import annotations

SEED = 20260101
COMPANY_CODE = "demo"
COMPANY_NAME = "华芯电子 Huaxin Electronics"
DEMO_PASSWORD = "renshi-demo-2026"
EMAIL_DOMAIN = "huaxin.example.com"
DEFAULT_EMPLOYEES = 120

ROOT_DEPARTMENT = ("gmo", "总经办")

# code, name, weight of the rank and file, job family, rank-and-file positions (title, grade)
DEPARTMENTS: list[tuple[str, str, int, str, list[tuple[str, str]]]] = [
    (
        "sales",
        "销售部",
        14,
        "销售",
        [("销售代表", "P2"), ("高级销售代表", "P3"), ("大客户经理", "P4")],
    ),
    ("marketing", "市场部", 8, "市场", [("市场专员", "P2"), ("产品市场经理", "P4")]),
    (
        "datacenter",
        "数据中心事业部",
        10,
        "解决方案",
        [("售前工程师", "P3"), ("交付工程师", "P3"), ("解决方案架构师", "P5")],
    ),
    (
        "rnd",
        "研发部",
        18,
        "研发",
        [("硬件工程师", "P3"), ("软件工程师", "P3"), ("高级工程师", "P4"), ("资深工程师", "P5")],
    ),
    ("production", "生产部", 16, "生产", [("生产技术员", "P1"), ("工艺工程师", "P3")]),
    ("quality", "质量部", 8, "质量", [("质检员", "P1"), ("质量工程师", "P3")]),
    ("procurement", "采购部", 6, "采购", [("采购专员", "P2"), ("供应商质量经理", "P4")]),
    ("finance", "财务部", 6, "财务", [("会计", "P2"), ("财务分析师", "P3")]),
    ("hr", "人力资源部", 6, "人力资源", [("人事专员", "P2"), ("HRBP", "P4")]),
    ("service", "客服部", 10, "客户服务", [("客服专员", "P1"), ("技术支持工程师", "P3")]),
]

# vpN supervises DEPARTMENTS[2(N-1)] and DEPARTMENTS[2(N-1)+1]
VP_COUNT = 5

MANAGEMENT_FAMILY = "管理"
GM_POSITION = ("总经理", "M5")
VP_POSITION = ("副总", "M4")
HR_VP_POSITION = ("人资副总", "M4")
PERF_POSITION = ("绩效主管", "M2")
HEAD_POSITION = ("部门经理", "M3")
TEAM_LEAD_POSITION = ("主管", "M2")

# username, name, position
LEADERS = [
    ("gm", "王建国", GM_POSITION),
    ("vp1", "李志强", VP_POSITION),
    ("vp2", "张伟", VP_POSITION),
    ("vp3", "刘洋", VP_POSITION),
    ("vp4", "陈静", VP_POSITION),
    ("vp5", "杨帆", VP_POSITION),
    ("hrvp", "赵敏", HR_VP_POSITION),
    ("perf", "周婷", PERF_POSITION),
]

# teams below a department when the company grows (``--employees N``)
TEAM_SIZE = 150
TEAM_NUMERALS = "一二三四五六七八九十"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬辉鑫鹏宇浩然晨阳欣怡"
    "佳琪思远子涵雨萱梓轩一诺俊杰嘉怡文博志鸿海波晓东春梅建平立新永红国庆瑞雪天佑"
)

# Mainland administrative division codes used for national IDs (Beijing, Shanghai, Shenzhen,
# Suzhou, Hangzhou, Wuhan, Chengdu, Xi'an).
REGION_CODES = ("110101", "310104", "440305", "320505", "330106", "420106", "510107", "610113")
PHONE_PREFIXES = ("135", "136", "138", "139", "150", "158", "186", "187", "188", "199")
