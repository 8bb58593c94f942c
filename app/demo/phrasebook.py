"""What the demo cases say: names, companies, summaries and the words mediators write. All fictitious.

People get resident ID numbers of the demo region (320481, 溧阳市) with a valid GB 11643 check character,
and mobile numbers in the 1380000xxxx block, which reads as an example at a glance.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from app.organizations.demo import CITY_REGION
from app.pii.identity import resident_id_check_char

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏付方邹孟熊秦邱江尹薛段雷侯史陶贺顾毛龚邵钱严戴孔汤狄芮"
)
GIVEN_NAMES = [
    "建国",
    "秀英",
    "桂英",
    "志强",
    "伟",
    "芳",
    "敏",
    "静",
    "丽华",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂兰",
    "玉兰",
    "国平",
    "春华",
    "晓东",
    "文华",
    "红梅",
    "海燕",
    "建华",
    "小龙",
    "金凤",
    "德明",
    "荣生",
    "福根",
    "根宝",
    "志明",
    "雪芬",
    "美琴",
    "建平",
    "卫东",
    "小英",
    "玉珍",
    "国庆",
    "海峰",
]
COMPANY_STEMS = [
    "天目",
    "燕山",
    "南渡",
    "金峰",
    "华宇",
    "恒达",
    "佳美",
    "苏南",
    "宏利",
    "新丰",
    "溧源",
    "长荡",
    "瑞祥",
    "永盛",
    "盛景",
]
COMPANY_TRADES = [
    "机械制造",
    "建筑工程",
    "食品",
    "纺织",
    "电子科技",
    "汽车销售",
    "装饰工程",
    "农业发展",
    "物流",
    "新材料",
    "茶业",
    "包装",
]
HOSPITALS = ("中医院", "卫生院", "口腔诊所", "社区卫生服务中心")
PROPERTY_FIRMS = ("物业服务有限公司", "物业管理有限公司")
SHOPS = ("家电商行", "健身会所", "家具城", "手机专卖店", "教育培训中心")
GOVERNMENT_BODIES = (
    "溧阳市自然资源和规划局",
    "溧阳市住房和城乡建设局",
    "溧阳市市场监督管理局",
    "溧阳市人力资源和社会保障局",
    "溧阳市城市管理局",
)

# {a}: applicant, {r}: respondent, {amt}: the amount in yuan, {place}: the village or community.
SUMMARIES: dict[str, tuple[str, ...]] = {
    "neighbour": (
        "{a}与邻居{r}因房前屋后排水沟堵塞发生争执，{a}家院内积水，多次协商未果，申请调解。",
        "{a}与{r}因宅基地边界砌墙问题发生口角并推搡，双方均有轻微擦伤，请求调委会居中调解。",
        "{r}在自家屋后饲养家禽，气味和噪声影响{a}一家生活，双方沟通无果。",
        "{a}反映邻居{r}装修时损坏其院墙，要求赔偿修复费用约{amt}元。",
        "{a}与{r}因{place}公共通道堆放杂物、影响通行发生矛盾。",
    ),
    "marriage_family": (
        "{a}与{r}系夫妻，因家庭琐事长期争吵，{a}提出离婚，双方就子女抚养和财产分割意见不一。",
        "{a}与其兄{r}因父母赡养费分担发生分歧，请求调解明确每月赡养费。",
        "{a}与{r}系兄弟，因父母遗留老宅的继承份额发生纠纷，涉及房屋折价约{amt}元。",
    ),
    "debt": (
        "{r}于去年向{a}借款{amt}元用于经营周转，约定半年归还，逾期至今未还。",
        "{a}为{r}垫付装修材料款{amt}元，{r}以资金紧张为由一直拖欠。",
    ),
    "land": (
        "{a}与{r}因承包田边界及田埂归属发生争议，影响春耕。",
        "{a}反映{r}在流转土地上擅自挖塘养殖，改变土地用途，要求恢复原状并赔偿{amt}元。",
    ),
    "housing": (
        "{a}与{r}因翻建房屋超出原宅基地范围发生纠纷，{a}认为影响其通行和采光。",
        "{a}租住{r}房屋，租期未满{r}要求收回，双方就押金{amt}元退还发生争议。",
    ),
    "contract": (
        "{a}向{r}订购苗木一批，货款{amt}元，{r}以部分苗木枯死为由拒付尾款。",
        "{a}承包{r}的厂房屋面维修工程，完工后{r}以质量问题为由拖欠工程款{amt}元。",
    ),
    "damages": (
        "{r}饲养的犬只咬伤{a}，{a}花费医疗费等共计{amt}元，要求赔偿。",
        "{a}停放的电动车被{r}驾驶的三轮车撞坏，双方对赔偿金额{amt}元有分歧。",
    ),
    "labour": (
        "{a}在{r}务工期间被拖欠三个月工资共计{amt}元，多次讨要未果。",
        "{a}在{r}车间作业时手部受伤，双方就工伤待遇及误工费{amt}元协商不成。",
        "{r}以经营调整为由解除与{a}的劳动合同，{a}要求支付经济补偿金{amt}元。",
    ),
    "medical": (
        "{a}之母在{r}住院期间病情加重，家属对诊疗过程有异议，要求赔偿{amt}元。",
        "{a}在{r}拔牙后出现感染，认为诊疗不当，要求承担后续治疗费用{amt}元。",
    ),
    "traffic": (
        "{r}驾驶小型轿车与{a}驾驶的电动自行车在村道路口相撞，{a}受伤住院，双方就赔偿{amt}元协商不成。",
        "{a}与{r}两车追尾，交警认定{r}负主要责任，双方对车辆维修费{amt}元有争议。",
    ),
    "property_management": (
        "{a}所在小区地下车库多次渗水，{a}认为{r}维护不力，拒交物业费{amt}元。",
        "{r}以{a}欠缴物业费{amt}元为由限制其车辆进出小区，双方发生争执。",
    ),
    "consumer": (
        "{a}在{r}购买的冰箱使用两周后不制冷，商家拒绝退换，货款{amt}元。",
        "{a}在{r}办理的年卡因门店停业无法使用，要求退还剩余费用{amt}元。",
    ),
    "enterprise": (
        "{a}为{r}供应原材料，对方拖欠货款{amt}元已逾一年。",
        "{a}与{r}因合作项目的利润分配发生争议，涉及金额约{amt}元，影响双方继续合作。",
    ),
    # Applications for administrative review (against a government body), whatever their category.
    "administrative": (
        "{a}对{r}作出的房屋征收补偿决定不服，认为评估价格偏低，申请行政复议。",
        "{a}因经营场所被{r}责令停业整顿不服，认为认定事实不清、程序违法。",
        "{a}向{r}申请办理登记，{r}逾期未作答复，{a}请求责令其履行职责。",
    ),
    "other": (
        "{a}与{r}因合伙购买的农机具使用安排发生矛盾。",
        "{a}反映{r}在{place}公共水塘垂钓并收费，双方发生争执。",
    ),
}

DECLINE_REASONS = (
    "经核实，纠纷发生地及当事人住所均不在本辖区，请重新分派。",
    "纠纷涉及多个村且标的较大，超出本调委会调解能力。",
    "本组织调解员与当事人有亲属关系，依法回避，请改派。",
    "当事人已就同一事项向法院起诉，不属本组织受理范围。",
)
ESCALATION_REASONS = (
    "经两次调解双方分歧较大，本级调解不成，申请上交。",
    "涉及金额较大且有激化苗头，提请上一级调解组织介入。",
    "被申请人拒不到场，本级调解无法继续。",
    "当事人明确不接受本级调解意见，要求上级组织处理。",
)
WITHDRAW_REASONS = (
    "双方已自行和解，申请人撤回调解申请。",
    "申请人决定直接向法院起诉，撤回调解申请。",
    "申请人外出务工，暂不要求调解。",
)
FOLLOW_UP_NOTES = (
    "电话回访，双方均表示协议已履行，关系恢复正常。",
    "上门回访，赔偿款已按约支付，当事人无异议。",
    "回访时申请人表示对调解结果满意。",
    "回访得知被申请人已履行大部分义务，余款约定月底前付清。",
)
DISPATCH_NOTES = (
    "经司法所审核，按纠纷发生地分派。",
    "请尽快联系当事人，三日内反馈。",
    "该村调委会退回，改由镇非诉讼服务站调解。",
)
OUTCOME_NOTES: dict[str, str] = {
    "settled": "经调解双方达成协议。",
    "failed": "双方分歧较大，调解不成，已告知当事人其他救济途径。",
    "referred_to_litigation": "调解不成，引导当事人依法起诉。",
    "judicially_confirmed": "调解协议经法院司法确认有效。",
    "upheld": "原行政行为认定事实清楚、程序合法，决定维持。",
    "revoked": "原行政行为认定事实不清，决定撤销。",
    "changed": "原行政行为明显不当，决定变更。",
    "confirmed_illegal": "原行政行为程序违法，确认违法。",
    "ordered_to_perform": "被申请人未依法履行法定职责，责令限期履行。",
    "dismissed": "复议申请不符合受理条件，决定驳回。",
    "mediated": "经行政复议机构主持调解，双方达成调解书。",
    "reconciled": "申请人与被申请人自行和解，复议终止。",
}


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def company_name(rng: random.Random) -> str:
    return f"溧阳市{rng.choice(COMPANY_STEMS)}{rng.choice(COMPANY_TRADES)}有限公司"


def id_number(rng: random.Random, today: date) -> str:
    """An 18-digit resident ID of the demo region, aged 18–80, with its check character."""
    birth = today - timedelta(days=rng.randint(18 * 365, 80 * 365))
    first17 = f"{CITY_REGION}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + resident_id_check_char(first17)


def phone(rng: random.Random) -> str:
    return f"1380000{rng.randint(0, 9999):04d}"
