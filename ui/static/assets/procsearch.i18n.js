// The texts of the procedure search the booking page and the counter
// console share, Vietnamese and English.
import { extend } from '/assets/i18n.js';

extend({
  vi: {
    'procs.label': 'Tìm thủ tục (gõ bằng lời của bạn)',
    'procs.placeholder': 'Ví dụ: làm sổ đỏ, đăng ký kết hôn',
    'procs.papers': 'Giấy tờ cần mang',
    'procs.fee': 'Lệ phí',
    'procs.time': 'Thời gian giải quyết',
    'procs.where': 'Nơi nộp',
    'procs.counters': 'Quầy {n}',
    'procs.form': 'Mẫu tờ khai',
    'procs.none': 'Không tìm thấy thủ tục phù hợp: vui lòng hỏi tại quầy hoặc gõ cách khác.',
    'procs.failed': 'Chưa tra cứu được, vui lòng thử lại.',
    'procs.kind.original': 'bản chính',
    'procs.kind.copy': 'bản sao',
    'procs.kind.shown': 'xuất trình',
    'procs.count': '{n} bản',
  },
  en: {
    'procs.label': 'Find a procedure (in your own words)',
    'procs.placeholder': 'For example: land use certificate, marriage registration',
    'procs.papers': 'Papers to bring',
    'procs.fee': 'Fee',
    'procs.time': 'Processing time',
    'procs.where': 'Where',
    'procs.counters': 'Counter {n}',
    'procs.form': 'Form',
    'procs.none': 'No matching procedure: please ask at a counter or put it another way.',
    'procs.failed': 'The search did not answer, please try again.',
    'procs.kind.original': 'original',
    'procs.kind.copy': 'copy',
    'procs.kind.shown': 'to show',
    'procs.count': '{n} copies',
  },
});
