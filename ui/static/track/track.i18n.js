// The tracking page's texts (/track/{id}, track/), Vietnamese and English.
// The words several pages use, and t(), are in /assets/i18n.js.
import { extend } from '/assets/i18n.js';

extend({
  vi: {
    'status.waiting': 'Đang chờ',
    'status.called': 'Đang được gọi',
    'status.done': 'Đã phục vụ xong',
    'status.no_show': 'Vắng mặt khi được gọi',
    'status.expired': 'Đã hết hiệu lực',

    'track.title': 'Theo dõi số thứ tự',
    'track.number': 'Số thứ tự của bạn',
    'track.status': 'Trạng thái',
    'track.position': 'Số người trước bạn',
    'track.eta': 'Thời gian chờ ước tính',
    'track.service': 'Lĩnh vực',
    'track.issued': 'Lấy số lúc',
    'track.go_to': 'Mời bạn đến {counter}',
    'track.ahead_none': 'Bạn là người tiếp theo',
    'track.not_found': 'Không tìm thấy số thứ tự này.',
    'track.updated': 'Cập nhật lúc {time}',
    'track.note': 'Trang tự cập nhật. Vui lòng có mặt tại trung tâm khi còn khoảng 3 người trước bạn.',
  },
  en: {
    'status.waiting': 'Waiting',
    'status.called': 'Being called',
    'status.done': 'Served',
    'status.no_show': 'Absent when called',
    'status.expired': 'Expired',

    'track.title': 'Track my ticket',
    'track.number': 'Your ticket',
    'track.status': 'Status',
    'track.position': 'People ahead of you',
    'track.eta': 'Estimated wait',
    'track.service': 'Service',
    'track.issued': 'Issued at',
    'track.go_to': 'Please go to {counter}',
    'track.ahead_none': 'You are next',
    'track.not_found': 'This ticket was not found.',
    'track.updated': 'Updated at {time}',
    'track.note': 'This page updates itself. Please be at the centre when about 3 people are ahead of you.',
  },
});
