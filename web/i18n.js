// i18n.js -- the words of the web pages in zh-CN (the default) and English.
export const WORDS = {
  'zh-CN': {
    product: '家庭医生签约', footer: '宜联 · 基层医疗卫生服务网络（演示数据均为合成数据）', switchTo: 'English',
    team: '团队', chooseTeam: '选择团队', teamResidents: '签约居民', indicators: '签约指标（本年度）',
    contractRate: '签约率', keypopRate: '重点人群签约率', renewalRate: '续约率', expiring: '30天内到期',
    searchName: '按姓名搜索', allPopulations: '全部人群', noResidents: '没有符合条件的签约居民',
    prev: '上一页', next: '下一页', page: '第 {n} 页', total: '共 {n} 人',
    findResident: '查找居民签约', findPlaceholder: '输入居民姓名', find: '查找', noMatch: '没有找到居民',
    name: '姓名', gender: '性别', age: '年龄', idNumber: '身份证号', phone: '电话', address: '住址',
    male: '男', female: '女', other: '其他', unknown: '未知', years: '{n}岁',
    contract: '签约', contracts: '签约记录', inForce: '当前签约', none: '当前没有生效的签约',
    period: '服务期', state: '状态', packages: '服务包', doctor: '家庭医生',
    sign: '签约', renew: '续约', transfer: '转签', terminate: '解约', reason: '解约原因',
    toTeam: '转至团队', signWith: '签约团队', done: '已完成', back: '返回团队', loading: '加载中…',
    deceased: '已故', error: '操作未完成',
    'state-pending': '待签约', 'state-signed': '已签约', 'state-renewed': '已续约', 'state-terminated': '已解约', 'state-transferred': '已转签',
    'reason-lost': '失访', 'reason-moved': '迁出', 'reason-died': '死亡', 'reason-refused': '拒绝', 'reason-re-signed-elsewhere': '改签他处', 'reason-other': '其他',
    'kp-elderly': '老年人', 'kp-hypertension': '高血压', 'kp-type-2-diabetes': '2型糖尿病', 'kp-maternal': '孕产妇',
    'kp-child-0-6': '0-6岁儿童', 'kp-severe-mental-disorder': '严重精神障碍', 'kp-pulmonary-tuberculosis': '肺结核',
    'kp-disability': '残疾人', 'kp-low-income': '低收入家庭',
  },
  en: {
    product: 'Family-doctor contracts', footer: 'yilian · primary-care network (demo data are synthetic)', switchTo: '中文',
    team: 'Team', chooseTeam: 'Choose a team', teamResidents: 'Contracted residents', indicators: 'Contract indicators (this year)',
    contractRate: 'Contract rate', keypopRate: 'Key-population contract rate', renewalRate: 'Renewal rate', expiring: 'Ending within 30 days',
    searchName: 'Search by name', allPopulations: 'All populations', noResidents: 'No contracted residents match',
    prev: 'Previous', next: 'Next', page: 'Page {n}', total: '{n} residents',
    findResident: 'Find a resident to sign', findPlaceholder: 'Resident name', find: 'Find', noMatch: 'No resident found',
    name: 'Name', gender: 'Sex', age: 'Age', idNumber: 'Identity number', phone: 'Phone', address: 'Address',
    male: 'Male', female: 'Female', other: 'Other', unknown: 'Unknown', years: '{n} y',
    contract: 'Contract', contracts: 'Contracts', inForce: 'Contract in force', none: 'No contract in force',
    period: 'Period', state: 'State', packages: 'Packages', doctor: 'Family doctor',
    sign: 'Sign', renew: 'Renew', transfer: 'Transfer', terminate: 'Terminate', reason: 'Reason',
    toTeam: 'To team', signWith: 'Team', done: 'Done', back: 'Back to the team', loading: 'Loading…',
    deceased: 'Deceased', error: 'Not done',
    'state-pending': 'Pending', 'state-signed': 'Signed', 'state-renewed': 'Renewed', 'state-terminated': 'Terminated', 'state-transferred': 'Transferred',
    'reason-lost': 'Lost to follow-up', 'reason-moved': 'Moved away', 'reason-died': 'Died', 'reason-refused': 'Refused', 'reason-re-signed-elsewhere': 'Re-signed elsewhere', 'reason-other': 'Other',
    'kp-elderly': 'Elderly', 'kp-hypertension': 'Hypertension', 'kp-type-2-diabetes': 'Type 2 diabetes', 'kp-maternal': 'Pregnant or postpartum',
    'kp-child-0-6': 'Child 0-6', 'kp-severe-mental-disorder': 'Severe mental disorder', 'kp-pulmonary-tuberculosis': 'Pulmonary TB',
    'kp-disability': 'Disability', 'kp-low-income': 'Low-income household',
  },
};

export const KEY_POPULATIONS = ['elderly', 'hypertension', 'type-2-diabetes', 'maternal', 'child-0-6',
  'severe-mental-disorder', 'pulmonary-tuberculosis', 'disability', 'low-income'];
export const REASONS = ['lost', 'moved', 'died', 'refused', 're-signed-elsewhere', 'other'];

let lang = localStorage.getItem('yilian.lang') || 'zh-CN';
export const getLang = () => lang;
export function setLang(l) { lang = l; localStorage.setItem('yilian.lang', l); document.documentElement.lang = l; }
export function t(key, vars = {}) {
  const s = WORDS[lang][key] ?? WORDS['zh-CN'][key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => vars[k] ?? '');
}
