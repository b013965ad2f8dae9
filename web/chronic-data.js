// chronic-data.js -- the codes of the chronic-care pages with their zh-CN and English labels.
// CODES copies terminology/codesystems.json (zh-CN designation, English display) and
// DANGER_SYMPTOMS the rule packs' "danger_symptoms" (rules/hypertension-bphs-2017.json,
// rules/diabetes-bphs-2017.json): there is no API for rule packs, so the page carries the
// lists, and tests/browser/chronic.test.js checks that they still match those files.
// FORM_SYMPTOMS are the symptom boxes of the BPHS 2017 follow-up record forms (高血压患者随访服务
// 记录表, 2型糖尿病患者随访服务记录表), in the form's order.
import { getLang } from './i18n.js';

export const PROGRAMMES = ['hypertension', 'diabetes'];

export const FORM_SYMPTOMS = {
  hypertension: ['none', 'headache-dizziness', 'nausea-vomiting', 'blurred-vision-tinnitus', 'dyspnoea',
    'palpitations-chest-tightness', 'nosebleed', 'limb-numbness', 'lower-limb-oedema'],
  diabetes: ['none', 'polydipsia', 'polyphagia', 'polyuria', 'blurred-vision', 'infection',
    'hand-foot-numbness', 'lower-limb-oedema', 'marked-weight-loss'],
};

export const DANGER_SYMPTOMS = {
  hypertension: ['altered-consciousness', 'severe-headache-dizziness', 'acute-nausea-vomiting', 'acute-blurred-vision', 'eye-pain', 'acute-palpitations', 'acute-chest-tightness', 'orthopnoea', 'raised-bp-pregnancy-lactation', 'unmanageable-other-condition'],
  diabetes: ['altered-consciousness', 'acetone-breath', 'acute-palpitations', 'sweating', 'loss-of-appetite', 'acute-nausea-vomiting', 'acute-polydipsia-polyuria', 'abdominal-pain', 'deep-rapid-breathing', 'flushed-skin', 'sudden-vision-loss', 'raised-glucose-pregnancy-lactation', 'unmanageable-other-condition'],
};

// code system (the last part of https://yilian.health/fhir/CodeSystem/...) -> code -> [zh-CN, en]
export const CODES = {
  'followup-classification': {
    'controlled': ['控制满意', 'controlled'],
    'uncontrolled': ['控制不满意', 'uncontrolled'],
    'adverse-reaction': ['不良反应', 'adverse drug reaction'],
    'complication': ['并发症', 'complication'],
  },
  'next-step': {
    'routine': ['常规随访', 'routine follow-up'],
    'two-week': ['2周内随访', 'follow-up within 2 weeks'],
    'referral': ['建议转诊，2周内随访', 'referral recommended, follow-up within 2 weeks'],
    'urgent-referral': ['紧急转诊，2周内随访', 'urgent referral, follow-up within 2 weeks'],
  },
  'referral-reason': {
    'two-consecutive-uncontrolled': ['连续两次控制不满意', 'two consecutive uncontrolled visits'],
    'adverse-reaction-uncontrollable': ['药物不良反应难以控制', 'adverse reaction hard to control'],
    'new-complication': ['出现新的并发症', 'new complication'],
    'worse-complication': ['原有并发症加重', 'complication worse'],
    'danger-sign': ['危急情况', 'danger sign'],
    'not-at-target-after-treatment': ['规律治疗2-3个月血压仍未达标', 'not at target after 2-3 months of regular treatment'],
  },
  'danger-sign': {
    'sbp-180': ['收缩压≥180mmHg', 'systolic BP at or above 180 mmHg'],
    'dbp-110': ['舒张压≥110mmHg', 'diastolic BP at or above 110 mmHg'],
    'glucose-high': ['血糖≥16.7mmol/L', 'glucose at or above 16.7 mmol/L'],
    'glucose-low': ['血糖≤3.9mmol/L', 'glucose at or below 3.9 mmol/L'],
    'heart-rate-over-100': ['心率超过100次/分钟', 'heart rate over 100/min'],
    'temperature-over-39': ['体温超过39℃', 'temperature over 39 °C'],
  },
  'followup-symptom': {
    'none': ['无症状', 'no symptoms'],
    'headache-dizziness': ['头痛头晕', 'headache or dizziness'],
    'nausea-vomiting': ['恶心呕吐', 'nausea or vomiting'],
    'blurred-vision-tinnitus': ['眼花耳鸣', 'blurred vision, tinnitus'],
    'dyspnoea': ['呼吸困难', 'breathing difficulty'],
    'palpitations-chest-tightness': ['心悸胸闷', 'palpitations, chest tightness'],
    'nosebleed': ['鼻衄出血不止', 'nosebleed that will not stop'],
    'limb-numbness': ['四肢发麻', 'numb limbs'],
    'lower-limb-oedema': ['下肢水肿', 'lower-limb oedema'],
    'polydipsia': ['多饮', 'polydipsia'],
    'polyphagia': ['多食', 'polyphagia'],
    'polyuria': ['多尿', 'polyuria'],
    'blurred-vision': ['视力模糊', 'blurred vision'],
    'infection': ['感染', 'infection'],
    'hand-foot-numbness': ['手脚麻木', 'numb hands and feet'],
    'marked-weight-loss': ['体重明显下降', 'marked weight loss'],
    'altered-consciousness': ['意识或行为改变', 'altered consciousness or behaviour'],
    'severe-headache-dizziness': ['剧烈头痛或头晕', 'severe headache or dizziness'],
    'acute-nausea-vomiting': ['急性恶心呕吐', 'acute nausea and vomiting'],
    'acute-blurred-vision': ['急性视力模糊', 'acute blurred vision'],
    'eye-pain': ['眼痛', 'eye pain'],
    'acute-palpitations': ['心悸', 'acute palpitations'],
    'acute-chest-tightness': ['胸闷', 'acute chest tightness'],
    'orthopnoea': ['喘憋不能平卧', 'breathlessness, cannot lie flat'],
    'raised-bp-pregnancy-lactation': ['妊娠期或哺乳期血压高于正常', 'raised blood pressure in pregnancy or lactation'],
    'acetone-breath': ['呼气有烂苹果样丙酮味', 'acetone (rotten-apple) breath'],
    'sweating': ['出汗', 'sweating'],
    'loss-of-appetite': ['食欲减退', 'loss of appetite'],
    'acute-polydipsia-polyuria': ['急性多饮多尿', 'acute polydipsia and polyuria'],
    'abdominal-pain': ['腹痛', 'abdominal pain'],
    'deep-rapid-breathing': ['深大呼吸', 'deep rapid breathing'],
    'flushed-skin': ['皮肤潮红', 'flushed skin'],
    'sudden-vision-loss': ['视力突然骤降', 'sudden loss of vision'],
    'raised-glucose-pregnancy-lactation': ['妊娠期及哺乳期血糖高于正常', 'raised glucose in pregnancy or lactation'],
    'unmanageable-other-condition': ['存在不能处理的其他疾病', 'another condition that cannot be managed here'],
  },
  'plausibility-flag': {
    'identical-readings': ['连续三次血压读数相同', 'identical readings at three visits in a row'],
    'visit-after-death': ['死亡后仍有随访', 'visit recorded on or after death'],
    'diastolic-not-below-systolic': ['舒张压不低于收缩压', 'diastolic at or above systolic'],
    'pulse-pressure-implausible': ['脉压不合理', 'implausible pulse pressure'],
    'bmi-inconsistent': ['体质指数与身高体重不符', 'BMI inconsistent with weight and height'],
    'recorded-late': ['随访日期30天后才录入', 'recorded more than 30 days after the visit'],
    'terminal-digit-preference': ['收缩压尾数偏好0', 'systolic readings ending in 0 far more often than chance'],
    'bunching-under-140': ['收缩压集中于140以下', 'systolic readings bunched just under 140'],
  },
  'followup-way': {
    'clinic': ['门诊', 'clinic'],
    'home': ['家庭', 'home visit'],
    'phone': ['电话', 'phone'],
  },
  'complication-change': {
    'none': ['无新发或加重', 'none new or worse'],
    'new': ['新发并发症', 'new complication'],
    'worse': ['并发症加重', 'complication worse'],
  },
  'medication-adherence': {
    'regular': ['规律', 'regular'],
    'intermittent': ['间断', 'intermittent'],
    'none': ['不服药', 'not taking'],
    'refused': ['拒绝服药', 'refused'],
  },
  'risk-tier': {
    'low': ['低危', 'low'],
    'medium': ['中危', 'medium'],
    'high': ['高危', 'high'],
  },
  'risk-reason': {
    'danger-sign-last-visit': ['末次随访有危急情况', 'danger sign at the last follow-up'],
    'referral-pending': ['末次随访建议转诊', 'referral recommended at the last follow-up'],
    'uncontrolled-twice': ['连续两次控制不满意', 'uncontrolled at two consecutive follow-ups'],
    'bp-severe': ['血压高于160/100', 'blood pressure above 160/100'],
    'hba1c-very-high': ['糖化血红蛋白高于10%', 'HbA1c above 10% (86 mmol/mol)'],
    'multimorbidity': ['三种及以上慢性病', 'three or more chronic conditions'],
    'frailty-moderate': ['中重度衰弱', 'moderate or severe frailty'],
    'not-at-target': ['末次随访未达标', 'last readings not at target'],
    'bp-raised': ['血压140/90及以上', 'blood pressure 140/90 or above'],
    'hba1c-raised': ['糖化血红蛋白8.6%及以上', 'HbA1c 8.6% (70 mmol/mol) or above'],
    'chronic-condition': ['患高血压或2型糖尿病', 'hypertension or type 2 diabetes'],
    'comorbidity': ['两种慢性病', 'two chronic conditions'],
    'age-80': ['80岁及以上', 'aged 80 or over'],
    'frailty-mild': ['轻度衰弱', 'mild frailty'],
    'no-review-18-months': ['18个月未复查', 'no review for 18 months'],
  },
  'recall-category': {
    'urgent': ['紧急（3个月内）', 'urgent (within 3 months)'],
    'priority': ['优先（6个月内）', 'priority (within 6 months)'],
    'routine': ['常规（12个月内）', 'routine (within 12 months)'],
  },
  'management-end-reason': {
    'died': ['死亡', 'died'],
    'moved': ['迁出', 'moved away'],
    'lost': ['失访', 'lost to follow-up'],
    'refused': ['拒绝', 'refused'],
  },
};

// The label of a code in the page's language (the code itself when unknown).
export function label(system, code) {
  const l = CODES[system]?.[code];
  if (!l) return code ?? '';
  if (getLang() !== 'en') return l[0];
  return l[1].charAt(0).toUpperCase() + l[1].slice(1);
}
